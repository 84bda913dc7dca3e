//! A small page layout for printed documents: lines of Chinese text broken
//! at character boundaries (Latin words and numbers kept whole, closing
//! punctuation never starting a line), rules, JPEG images and signatures,
//! laid out on A4 pages with a running footer, then written with krilla.

use crate::error::PdfError;
use crate::font::FontFile;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::TextDirection;

/// A4 in points.
pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
/// About 22 mm.
pub(crate) const MARGIN: f32 = 62.0;
const FOOTER: f32 = 28.0;

/// Body text size.
pub(crate) const BODY: f32 = 11.5;
/// Small print (footers, tables).
pub(crate) const SMALL: f32 = 8.5;

enum Op {
    Text { x: f32, y: f32, size: f32, text: String },
    Line { x1: f32, y1: f32, x2: f32, y2: f32, width: f32 },
    Image { x: f32, y: f32, w: f32, h: f32, jpeg: Vec<u8> },
}

/// Pages being laid out, top to bottom.
pub(crate) struct Layout<'f> {
    font: &'f FontFile,
    title: String,
    footer: String,
    pages: Vec<Vec<Op>>,
    y: f32,
}

const CLOSING: &str = "，。、；：？！）》」』】〕”’,.;:?!)%";

/// Splits text into tokens that never break inside: one CJK character, a
/// run of Latin letters or digits, one space.
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    let mut word = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.' | ':' | '@') && !word.is_empty() {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        out.push(c.to_string());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

impl<'f> Layout<'f> {
    /// A new document titled `title` (PDF metadata) with `footer` on every page.
    pub(crate) fn new(font: &'f FontFile, title: &str, footer: &str) -> Layout<'f> {
        Layout { font, title: title.to_string(), footer: footer.to_string(), pages: vec![vec![]], y: MARGIN }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(vec![]);
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page.
    pub(crate) fn new_page(&mut self) {
        self.pages.push(vec![]);
        self.y = MARGIN;
    }

    /// Breaks the page unless `h` points still fit.
    pub(crate) fn ensure(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN - FOOTER {
            self.new_page();
        }
    }

    /// Vertical space.
    pub(crate) fn space(&mut self, h: f32) {
        self.y += h;
    }

    fn text_at(&mut self, x: f32, size: f32, text: &str) {
        let y = self.y + size * 0.9;
        self.ops().push(Op::Text { x, y, size, text: text.to_string() });
    }

    /// Breaks `text` into lines no wider than `width` at `size`.
    pub(crate) fn lines(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = vec![];
        for para in text.split('\n') {
            let mut line = String::new();
            let mut w = 0.0;
            for t in tokens(para) {
                let tw = self.font.width(&t, size);
                let hangs = t.chars().all(|c| CLOSING.contains(c));
                if w + tw > width && !line.is_empty() && !hangs {
                    lines.push(std::mem::take(&mut line).trim_end().to_string());
                    w = 0.0;
                    if t == " " {
                        continue;
                    }
                }
                line.push_str(&t);
                w += tw;
            }
            lines.push(line);
        }
        lines
    }

    /// A paragraph from `left` (points from the margin), its first line
    /// indented by `indent` ems.
    pub(crate) fn paragraph(&mut self, text: &str, size: f32, left: f32, indent: f32) {
        let width = PAGE_W - 2.0 * MARGIN - left;
        let first = format!("{}{}", "\u{3000}".repeat(indent as usize), text);
        for line in self.lines(&first, size, width) {
            self.ensure(size * 1.7);
            self.text_at(MARGIN + left, size, &line);
            self.y += size * 1.7;
        }
    }

    /// One line centred on the page (wrapped if too long).
    pub(crate) fn centered(&mut self, text: &str, size: f32) {
        for line in self.lines(text, size, PAGE_W - 2.0 * MARGIN) {
            self.ensure(size * 1.6);
            let w = self.font.width(&line, size);
            self.text_at((PAGE_W - w) / 2.0, size, &line);
            self.y += size * 1.6;
        }
    }

    /// One line flush right.
    pub(crate) fn right(&mut self, text: &str, size: f32) {
        for line in self.lines(text, size, PAGE_W - 2.0 * MARGIN) {
            self.ensure(size * 1.6);
            let w = self.font.width(&line, size);
            self.text_at(PAGE_W - MARGIN - w, size, &line);
            self.y += size * 1.6;
        }
    }

    /// `label` then `value`, the value's further lines aligned under its first.
    pub(crate) fn field(&mut self, label: &str, value: &str, size: f32) {
        let lw = self.font.width(label, size);
        let width = PAGE_W - 2.0 * MARGIN - lw;
        for (i, line) in self.lines(value, size, width).into_iter().enumerate() {
            self.ensure(size * 1.6);
            if i == 0 {
                self.text_at(MARGIN, size, label);
            }
            self.text_at(MARGIN + lw, size, &line);
            self.y += size * 1.6;
        }
    }

    /// A table row: cells at the given x offsets (from the margin) with their
    /// widths, each wrapped; the row is as tall as its tallest cell.
    pub(crate) fn row(&mut self, cells: &[(f32, f32, &str)], size: f32) {
        let wrapped: Vec<Vec<String>> = cells.iter().map(|(_, w, t)| self.lines(t, size, *w)).collect();
        let n = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        self.ensure(n as f32 * size * 1.45 + 2.0);
        let top = self.y;
        for ((x, _, _), lines) in cells.iter().zip(&wrapped) {
            self.y = top;
            for l in lines {
                self.text_at(MARGIN + x, size, l);
                self.y += size * 1.45;
            }
        }
        self.y = top + n as f32 * size * 1.45 + 2.0;
    }

    /// A horizontal rule across the text block.
    pub(crate) fn rule(&mut self, width: f32) {
        self.ensure(6.0);
        let y = self.y + 3.0;
        self.ops().push(Op::Line { x1: MARGIN, y1: y, x2: PAGE_W - MARGIN, y2: y, width });
        self.y += 6.0;
    }

    /// A JPEG no larger than `max_w` × `max_h` at `left` from the margin;
    /// an unreadable one is an error naming `what`.
    pub(crate) fn image(
        &mut self,
        jpeg: &[u8],
        left: f32,
        max_w: f32,
        max_h: f32,
        what: &str,
    ) -> Result<(f32, f32), String> {
        let img = Image::from_jpeg(krilla::Data::from(jpeg.to_vec()), true).map_err(|e| format!("{what}: {e}"))?;
        let (pw, ph) = img.size();
        if pw == 0 || ph == 0 {
            return Err(format!("{what}: an image without pixels"));
        }
        let scale = (max_w / pw as f32).min(max_h / ph as f32);
        let (w, h) = (pw as f32 * scale, ph as f32 * scale);
        self.ensure(h + 4.0);
        let (x, y) = (MARGIN + left, self.y);
        self.ops().push(Op::Image { x, y, w, h, jpeg: jpeg.to_vec() });
        Ok((w, h))
    }

    /// The y position, for side-by-side placement.
    pub(crate) fn y(&self) -> f32 {
        self.y
    }

    /// Sets the y position (side-by-side placement on the same page).
    pub(crate) fn set_y(&mut self, y: f32) {
        self.y = y;
    }

    /// Writes the PDF: every page gets the footer and "第 i 页 共 n 页".
    pub(crate) fn finish(mut self) -> Result<Vec<u8>, PdfError> {
        let font = self.font.krilla()?;
        let total = self.pages.len();
        for (i, ops) in self.pages.iter_mut().enumerate() {
            let text = format!("{}    第 {} 页 共 {} 页", self.footer, i + 1, total);
            let w = self.font.width(&text, SMALL);
            ops.push(Op::Text { x: (PAGE_W - w) / 2.0, y: PAGE_H - MARGIN / 2.0, size: SMALL, text });
        }
        let mut doc = krilla::Document::new();
        doc.set_metadata(Metadata::new().title(self.title.clone()).language("zh-CN".into()).creator("paicha".into()));
        for ops in &self.pages {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError::Write("page size".into()))?;
            let mut page = doc.start_page_with(settings);
            let mut surface = page.surface();
            for op in ops {
                match op {
                    Op::Text { x, y, size, text } => {
                        surface.draw_text(
                            Point::from_xy(*x, *y),
                            font.clone(),
                            *size,
                            text,
                            false,
                            TextDirection::Auto,
                        );
                    }
                    Op::Line { x1, y1, x2, y2, width } => {
                        let mut pb = PathBuilder::new();
                        pb.move_to(*x1, *y1);
                        pb.line_to(*x2, *y2);
                        if let Some(path) = pb.finish() {
                            surface.set_stroke(Some(Stroke { width: *width, ..Default::default() }));
                            surface.draw_path(&path);
                            surface.set_stroke(None);
                        }
                    }
                    Op::Image { x, y, w, h, jpeg } => {
                        let img = Image::from_jpeg(krilla::Data::from(jpeg.clone()), true).map_err(PdfError::Write)?;
                        let size = Size::from_wh(*w, *h).ok_or_else(|| PdfError::Write("image size".into()))?;
                        surface.push_transform(&Transform::from_translate(*x, *y));
                        surface.draw_image(img, size);
                        surface.pop();
                    }
                }
            }
            surface.finish();
            page.finish();
        }
        doc.finish().map_err(|e| PdfError::Write(format!("{e:?}")))
    }
}
