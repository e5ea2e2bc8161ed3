//! Atomic file writing: every file w2v writes goes to a temporary file in the target's
//! directory first and is renamed over the target only when complete, so an interrupted or
//! failed run never leaves a truncated file under the target's name.

use std::fs::{self, File};
use std::io::{self as stdio, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file being written: a temporary file in the target's directory, renamed over the target
/// by [`AtomicFile::commit`], removed if dropped uncommitted. Creating it early checks that the
/// target is writable before any long computation.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Creates the temporary file next to `target`.
    pub fn create(target: &Path) -> Result<Self> {
        let err = |e| Error::io("cannot write", target, e);
        if target.is_dir() {
            return Err(err(stdio::Error::other("is a directory")));
        }
        let name = target
            .file_name()
            .ok_or_else(|| err(stdio::Error::other("not a file name")))?;
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".tmp{}", std::process::id()));
        let temp = dir.join(temp_name);
        let file = File::create(&temp).map_err(err)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            file: Some(file),
        })
    }

    /// Writes the content with `write`, flushes it to disk and renames it over the target.
    pub fn commit(
        mut self,
        write: impl FnOnce(&mut BufWriter<&File>) -> stdio::Result<()>,
    ) -> Result<()> {
        let err = |e| Error::io("cannot write", &self.target, e);
        let file = self.file.take().expect("file present until commit");
        {
            let mut w = BufWriter::with_capacity(1 << 20, &file);
            write(&mut w).map_err(err)?;
            w.flush().map_err(err)?;
        }
        file.sync_all().map_err(err)?;
        drop(file);
        fs::rename(&self.temp, &self.target).map_err(err)?;
        if let Some(dir) = self.target.parent()
            && let Ok(d) = File::open(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            })
        {
            let _ = d.sync_all();
        }
        self.temp = PathBuf::new();
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}
