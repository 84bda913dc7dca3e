//! Why a document could not be printed.

/// Why a PDF could not be made. Messages name the file or the part at fault
/// and carry no personal data.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The font file could not be read.
    #[error("the font file {path} could not be read: {detail}")]
    FontUnreadable {
        /// The path given.
        path: String,
        /// Why.
        detail: String,
    },
    /// The file is not a font this renderer can use.
    #[error("{path} is not a usable font (TrueType, OpenType or a .ttc collection): {detail}")]
    NotAFont {
        /// The path given.
        path: String,
        /// Why.
        detail: String,
    },
    /// The font has no glyphs for Chinese text.
    #[error("the font {path} has no Chinese glyphs; give a CJK font such as NotoSansCJK-Regular.ttc")]
    NoChinese {
        /// The path given.
        path: String,
    },
    /// The PDF writer failed.
    #[error("the PDF could not be written: {0}")]
    Write(String),
}
