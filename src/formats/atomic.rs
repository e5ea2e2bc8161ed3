//! Atomic file writing: every file w2v writes goes to a temporary file in the target's
//! directory first and is renamed over the target only when complete, so an interrupted or
//! failed run never leaves a truncated file under the target's name.

use std::fs::{self, File};
use std::io::{self as stdio, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// `.NAME.tmpPID`: hidden, and distinct per process.
fn temp_name(name: &std::ffi::OsStr) -> std::ffi::OsString {
    let mut t = std::ffi::OsString::from(".");
    t.push(name);
    t.push(format!(".tmp{}", std::process::id()));
    t
}

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
        let temp = Self::temp_path_for(target)
            .ok_or_else(|| err(stdio::Error::other("not a file name")))?;
        let file = File::create(&temp).map_err(err)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            file: Some(file),
        })
    }

    /// The temporary file that this process writes while `target` is being written: for a
    /// process that must remove it without running destructors (a second Ctrl-C).
    pub fn temp_path_for(target: &Path) -> Option<PathBuf> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Some(dir.join(temp_name(target.file_name()?)))
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
