//! # paicha-pdf
//!
//! The printed documents of paicha, as A4 PDF: the rectification order
//! (责令限期整改指令书), the review opinion (整改复查意见书), the case file of
//! a hidden danger (执法案卷) with a manifest of SHA-256 hashes, and
//! statistics reports. Pure: the caller gives the records, the font file's
//! bytes and the photos' bytes; the tablet (through the store, the CLI and
//! the bindings) and the server (the console) print the same documents.
//!
//! Chinese text needs a CJK font, which is never bundled: the caller names
//! a file (Android's system CJK font on a device, Debian's `fonts-noto-cjk`
//! on a server), and only the glyphs used are embedded.

mod case_file;
mod documents;
mod error;
mod font;
mod layout;
mod report;

pub use case_file::{case_file_pdf, CaseFile, ManifestEntry};
pub use documents::{opinion_pdf, order_pdf};
pub use error::PdfError;
pub use font::FontFile;
pub use report::{statistics_pdf, StatisticsReport};

/// Debian's Noto Sans CJK (package fonts-noto-cjk), the font servers and the
/// command line print in when no other is named; on a device, the app names
/// the system's CJK font.
pub const DEBIAN_CJK_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

/// Where the renderer finds a photo's bytes by its SHA-256 (the tablet's
/// photo folder, the server's blob store). `None`: not held here, which is
/// printed as such, never left out silently.
pub trait PhotoSource {
    /// The JPEG bytes of the photo `sha256`, if held here.
    fn jpeg(&self, sha256: &str) -> Option<Vec<u8>>;
}

/// No photos at all: documents print a note where a photo would be.
pub struct NoPhotos;

impl PhotoSource for NoPhotos {
    fn jpeg(&self, _sha256: &str) -> Option<Vec<u8>> {
        None
    }
}
