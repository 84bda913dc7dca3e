//! The font documents are printed in: read once from a path the caller
//! gives, measured for line breaking, embedded as a subset.

use crate::error::PdfError;
use std::path::Path;
use std::sync::Arc;

/// A CJK font loaded from a file. In a `.ttc` collection the Simplified
/// Chinese face is chosen (Noto Sans CJK holds JP, KR, SC, TC and HK faces
/// that draw some characters differently).
#[derive(Clone)]
pub struct FontFile {
    data: Arc<Vec<u8>>,
    index: u32,
    units_per_em: f32,
}

impl std::fmt::Debug for FontFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FontFile({} bytes, face {})", self.data.len(), self.index)
    }
}

impl FontFile {
    /// Reads and checks the font at `path`: it must parse and draw Chinese.
    pub fn load(path: &Path) -> Result<FontFile, PdfError> {
        let shown = path.display().to_string();
        let data =
            std::fs::read(path).map_err(|e| PdfError::FontUnreadable { path: shown.clone(), detail: e.to_string() })?;
        FontFile::from_bytes(data, &shown)
    }

    /// Checks font bytes read elsewhere; `name` is used in errors.
    pub fn from_bytes(data: Vec<u8>, name: &str) -> Result<FontFile, PdfError> {
        let faces = ttf_parser::fonts_in_collection(&data).unwrap_or(1);
        let mut chosen = None;
        for i in 0..faces {
            let Ok(face) = ttf_parser::Face::parse(&data, i) else { continue };
            let family: String = face
                .names()
                .into_iter()
                .filter(|n| n.name_id == ttf_parser::name_id::FAMILY)
                .find_map(|n| n.to_string())
                .unwrap_or_default();
            if chosen.is_none() {
                chosen = Some(i);
            }
            if family.ends_with(" SC") || family.contains("SC ") || family.contains("Simplified") {
                chosen = Some(i);
                break;
            }
        }
        let index =
            chosen.ok_or_else(|| PdfError::NotAFont { path: name.to_string(), detail: "no face parses".into() })?;
        let face = ttf_parser::Face::parse(&data, index)
            .map_err(|e| PdfError::NotAFont { path: name.to_string(), detail: e.to_string() })?;
        if face.glyph_index('整').is_none() || face.glyph_index('改').is_none() {
            return Err(PdfError::NoChinese { path: name.to_string() });
        }
        let units_per_em = f32::from(face.units_per_em());
        Ok(FontFile { data: Arc::new(data), index, units_per_em })
    }

    /// The width of `text` at `size` points (unknown characters count one em).
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(face) = ttf_parser::Face::parse(&self.data, self.index) else {
            return text.chars().count() as f32 * size;
        };
        text.chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map_or(size, |a| f32::from(a) / self.units_per_em * size)
            })
            .sum()
    }

    /// The font for krilla.
    pub(crate) fn krilla(&self) -> Result<krilla::text::Font, PdfError> {
        krilla::text::Font::new(krilla::Data::from(self.data.clone()), self.index)
            .ok_or_else(|| PdfError::Write("the font could not be embedded".into()))
    }
}
