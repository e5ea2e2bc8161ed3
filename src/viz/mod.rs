//! Pictures of the space: 2-D projections (PCA, t-SNE) and their drawing to SVG or PNG.

#[cfg(feature = "plot")]
pub mod plot;
pub mod project;
