//! Letters as A4 PDF files the desk can print and post as they are: selectable text in a subset of the
//! vendored IPAex Gothic font (IPA Font License, `templates/fonts/`), embedded so that no system font is
//! needed; the addressee block inside the envelope's window, whose place on the sheet is a setting.
//!
//! Layout is by hand and simple: lines broken by measured width (characters, with the closing
//! punctuation Japanese keeps off a line's start held on the line before), pages broken at the bottom
//! margin. krilla writes the PDF and subsets the font.

use std::sync::{Arc, OnceLock};

use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};

use super::letter::Letter;

/// IPAex Gothic (IPAexゴシック), IPA Font License v1.0: embedding in documents is permitted.
static FONT_BYTES: &[u8] = include_bytes!("../../templates/fonts/ipaexg.ttf");

const A4_WIDTH_MM: f32 = 210.0;
const A4_HEIGHT_MM: f32 = 297.0;
const MARGIN_MM: f32 = 20.0;

fn mm(v: f32) -> f32 {
    v * 72.0 / 25.4
}

/// Where the envelope's window falls on the sheet, in millimetres from its top-left corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowMm {
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
}

impl WindowMm {
    /// A common 長形3号 window envelope for an A4 sheet folded in three: 23 mm from the left, 13 mm
    /// from the top, 90 × 45 mm.
    pub const NAGA3: WindowMm = WindowMm {
        left: 23.0,
        top: 13.0,
        width: 90.0,
        height: 45.0,
    };

    /// `left,top,width,height` in millimetres, inside the sheet's upper half.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let parts: Vec<f32> = raw
            .split(',')
            .map(|p| p.trim().parse::<f32>())
            .collect::<Result<_, _>>()
            .map_err(|_| "four numbers in millimetres: left,top,width,height")?;
        let [left, top, width, height] = parts[..] else {
            return Err("four numbers in millimetres: left,top,width,height");
        };
        let fits = left >= 0.0
            && top >= 0.0
            && width >= 40.0
            && height >= 20.0
            && left + width <= A4_WIDTH_MM
            && top + height <= A4_HEIGHT_MM / 2.0;
        if !fits {
            return Err("the window must be at least 40 × 20 mm and lie in the sheet's upper half");
        }
        Ok(WindowMm {
            left,
            top,
            width,
            height,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the vendored font cannot be read")]
    Font,
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

/// What a printed letter shows besides its composed body.
pub struct LetterSheet {
    pub date: String,
    pub receipt_number: String,
    /// The addressee block: address lines, then the name with 様, then whom it concerns.
    pub to: Vec<String>,
    /// The sender: the desk's name, address and how to reach it.
    pub from: Vec<String>,
    pub letter: Letter,
}

fn face() -> Result<&'static ttf_parser::Face<'static>, PdfError> {
    static FACE: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    FACE.get_or_init(|| ttf_parser::Face::parse(FONT_BYTES, 0).ok())
        .as_ref()
        .ok_or(PdfError::Font)
}

/// What is placed on a page (points, from the top-left; a text's `y` is its baseline).
enum Placed {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
    },
    /// A thin horizontal rule (a line to write on, on a form).
    Rule { x1: f32, x2: f32, y: f32 },
}

/// Lays text out page by page.
struct Layout {
    face: &'static ttf_parser::Face<'static>,
    pages: Vec<Vec<Placed>>,
    y: f32,
}

/// Characters Japanese typesetting keeps off the start of a line (行頭禁則).
fn no_line_start(c: char) -> bool {
    "、。，．,.）)」』】〕］}！？!?ー々ゝゞぁぃぅぇぉっゃゅょァィゥェォッャュョ・：；".contains(c)
}

impl Layout {
    fn new(face: &'static ttf_parser::Face<'static>) -> Self {
        Layout {
            face,
            pages: vec![Vec::new()],
            y: mm(MARGIN_MM),
        }
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        let upem = f32::from(self.face.units_per_em());
        text.chars()
            .map(|c| {
                let g = self.face.glyph_index(c).unwrap_or_default();
                f32::from(self.face.glyph_hor_advance(g).unwrap_or(0)) / upem * size
            })
            .sum()
    }

    /// Breaks text into lines no wider than `max`, at any character (Japanese has no spaces), keeping
    /// closing punctuation with the line before and Latin words whole where they fit.
    fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut out = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            let chars: Vec<char> = para.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                // A run of Latin letters and digits moves as one, unless it is wider than a line.
                let mut j = i + 1;
                if chars[i].is_ascii_alphanumeric() {
                    while j < chars.len() && chars[j].is_ascii_graphic() && chars[j] != ',' {
                        j += 1;
                    }
                }
                let piece: String = chars[i..j].iter().collect();
                let candidate = format!("{line}{piece}");
                if self.width(&candidate, size) <= max || line.is_empty() || no_line_start(chars[i])
                {
                    line = candidate;
                } else if self.width(&piece, size) > max {
                    // A word longer than a line breaks where it must.
                    j = i + 1;
                    out.push(std::mem::take(&mut line));
                    line.push(chars[i]);
                } else {
                    // A space in the line's second half is a better break (names, addresses).
                    let half = line.chars().count() / 2;
                    let space = line
                        .char_indices()
                        .filter(|(_, c)| *c == ' ' || *c == '\u{3000}')
                        .map(|(at, _)| at)
                        .rfind(|at| line[..*at].chars().count() >= half);
                    match space {
                        Some(at) => {
                            let rest = line[at..].trim_start().to_owned();
                            line.truncate(at);
                            out.push(std::mem::replace(&mut line, format!("{rest}{piece}")));
                        }
                        None => out.push(std::mem::replace(&mut line, piece)),
                    }
                }
                i = j;
            }
            out.push(line);
        }
        out
    }

    fn page_bottom() -> f32 {
        mm(A4_HEIGHT_MM - MARGIN_MM)
    }

    fn new_page_if(&mut self, needed: f32) {
        if self.y + needed > Self::page_bottom() {
            self.pages.push(Vec::new());
            self.y = mm(MARGIN_MM);
        }
    }

    fn place(&mut self, x: f32, y: f32, size: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(page) = self.pages.last_mut() {
            page.push(Placed::Text {
                x,
                y,
                size,
                text: text.to_owned(),
            });
        }
    }

    fn rule(&mut self, x1: f32, x2: f32) {
        let y = self.y + 2.0;
        if let Some(page) = self.pages.last_mut() {
            page.push(Placed::Rule { x1, x2, y });
        }
    }

    /// A block of wrapped lines from `x`, `width` wide, aligned left, centred or right.
    fn block(&mut self, text: &str, size: f32, x: f32, width: f32, align: Align, indent: f32) {
        let line_height = size * 1.6;
        for (n, line) in self
            .wrap(text, size, width - indent)
            .into_iter()
            .enumerate()
        {
            self.new_page_if(line_height);
            self.y += line_height;
            let w = self.width(&line, size);
            let lx = match align {
                Align::Left if n == 0 => x,
                Align::Left => x + indent,
                Align::Centre => x + (width - w) / 2.0,
                Align::Right => x + width - w,
            };
            let y = self.y - size * 0.45;
            self.place(lx, y, size, &line);
        }
    }

    fn gap(&mut self, v: f32) {
        self.y += v;
    }
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Centre,
    Right,
}

/// The letter as an A4 PDF.
pub fn letter_pdf(sheet: &LetterSheet, window: WindowMm) -> Result<Vec<u8>, PdfError> {
    let face = face()?;
    let mut l = Layout::new(face);
    let body_x = mm(MARGIN_MM);
    let body_w = mm(A4_WIDTH_MM - 2.0 * MARGIN_MM);
    let right_x = mm(window.left + window.width + 5.0).max(mm(A4_WIDTH_MM / 2.0));
    let right_w = mm(A4_WIDTH_MM - MARGIN_MM) - right_x;

    // The date and receipt number, top right.
    l.y = mm(window.top) - 10.5 * 1.6;
    l.block(&sheet.date, 10.5, right_x, right_w, Align::Right, 0.0);
    l.block(
        &format!("受付番号　{}", sheet.receipt_number),
        10.5,
        right_x,
        right_w,
        Align::Right,
        0.0,
    );

    // The addressee, inside the window: smaller type if the address is long, never outside it.
    let inner_x = mm(window.left + 3.0);
    let inner_w = mm(window.width - 6.0);
    let max_h = mm(window.height - 4.0);
    let mut size = 11.0;
    while size > 7.0 {
        let lines: usize = sheet
            .to
            .iter()
            .map(|t| l.wrap(t, size, inner_w).len())
            .sum();
        if lines as f32 * size * 1.6 <= max_h {
            break;
        }
        size -= 0.5;
    }
    l.y = mm(window.top + 2.0);
    for line in &sheet.to {
        l.block(line, size, inner_x, inner_w, Align::Left, 0.0);
    }

    // The sender, right, below the window.
    l.y = mm(window.top + window.height + 4.0);
    for line in &sheet.from {
        l.block(
            line,
            9.0,
            right_x - mm(20.0),
            right_w + mm(20.0),
            Align::Left,
            0.0,
        );
    }
    l.gap(mm(8.0));

    let letter = &sheet.letter;
    l.block(&letter.title, 14.0, body_x, body_w, Align::Centre, 0.0);
    l.gap(mm(4.0));
    l.block(
        "拝啓　時下ますますご清栄のこととお慶び申し上げます。",
        10.5,
        body_x,
        body_w,
        Align::Left,
        0.0,
    );
    for p in &letter.paragraphs {
        l.block(&format!("　{p}"), 10.5, body_x, body_w, Align::Left, 0.0);
    }
    // The body closes with 敬具; the particulars follow under 記 and end with 以上.
    l.block("敬具", 10.5, body_x, body_w, Align::Right, 0.0);
    let particulars =
        !letter.rows.is_empty() || letter.list_heading.is_some() || !letter.notes.is_empty();
    if particulars {
        l.gap(mm(2.0));
        l.block("記", 10.5, body_x, body_w, Align::Centre, 0.0);
    }
    if !letter.rows.is_empty() {
        let label_w = mm(55.0);
        for (k, v) in &letter.rows {
            let top = l.y;
            l.block(k, 10.0, body_x, label_w, Align::Left, 0.0);
            let after_label = l.y;
            l.y = top;
            l.block(
                v,
                10.0,
                body_x + label_w,
                body_w - label_w,
                Align::Left,
                0.0,
            );
            l.y = l.y.max(after_label) + mm(1.0);
        }
    }
    if let Some(h) = &letter.list_heading {
        l.gap(mm(3.0));
        l.block(h, 11.0, body_x, body_w, Align::Left, 0.0);
        for (n, item) in letter.list.iter().enumerate() {
            let number = format!("{}. ", n + 1);
            let indent = l.width(&number, 10.5);
            l.block(
                &format!("{number}{item}"),
                10.5,
                body_x,
                body_w,
                Align::Left,
                indent,
            );
        }
    }
    if !letter.notes.is_empty() {
        l.gap(mm(3.0));
        l.block(
            "書類をお送りいただく際のご注意",
            11.0,
            body_x,
            body_w,
            Align::Left,
            0.0,
        );
        for n in &letter.notes {
            let indent = l.width("・", 10.0);
            l.block(&format!("・{n}"), 10.0, body_x, body_w, Align::Left, indent);
        }
    }
    if particulars {
        l.gap(mm(3.0));
        l.block("以上", 10.5, body_x, body_w, Align::Right, 0.0);
    }
    render(
        l.pages,
        &format!("{}（{}）", letter.title, sheet.receipt_number),
    )
}

/// A part of a printable form, top to bottom.
pub enum FormPart {
    /// Right-aligned (the date line).
    Right(String),
    /// The addressee, left, larger (the desk, with 御中).
    To(String),
    Title(String),
    Heading(String),
    Para(String),
    /// Labelled lines to fill in (or filled in), each on a rule.
    Rows(Vec<(String, String)>),
    /// A list, one item per entry, its lines after the first indented.
    Items(Vec<String>),
}

/// A printable request form as an A4 PDF.
pub fn form_pdf(title: &str, parts: &[FormPart]) -> Result<Vec<u8>, PdfError> {
    let mut l = Layout::new(face()?);
    let x = mm(MARGIN_MM);
    let w = mm(A4_WIDTH_MM - 2.0 * MARGIN_MM);
    for part in parts {
        match part {
            FormPart::Right(t) => l.block(t, 10.5, x, w, Align::Right, 0.0),
            FormPart::To(t) => l.block(t, 12.0, x, w, Align::Left, 0.0),
            FormPart::Title(t) => {
                l.gap(mm(4.0));
                l.block(t, 16.0, x, w, Align::Centre, 0.0);
                l.gap(mm(4.0));
            }
            FormPart::Heading(t) => {
                l.gap(mm(3.0));
                l.block(t, 11.5, x, w, Align::Left, 0.0);
            }
            FormPart::Para(t) => l.block(t, 10.0, x, w, Align::Left, 0.0),
            FormPart::Rows(rows) => {
                let label_w = mm(40.0);
                for (k, v) in rows {
                    let top = l.y;
                    l.block(k, 10.0, x, label_w, Align::Left, 0.0);
                    let after = l.y;
                    l.y = top;
                    // An empty value leaves a line's room to write in.
                    let value = if v.is_empty() { " " } else { v.as_str() };
                    l.block(value, 10.5, x + label_w, w - label_w, Align::Left, 0.0);
                    l.y = l.y.max(after).max(top + 10.0 * 2.2);
                    l.rule(x, x + w);
                    l.gap(mm(1.5));
                }
            }
            FormPart::Items(items) => {
                for item in items {
                    let indent = l.width("□ ", 10.0);
                    l.block(item, 10.0, x, w, Align::Left, indent);
                }
            }
        }
    }
    render(l.pages, title)
}

fn render(pages: Vec<Vec<Placed>>, title: &str) -> Result<Vec<u8>, PdfError> {
    let data: Arc<dyn AsRef<[u8]> + Send + Sync> = Arc::new(FONT_BYTES);
    let font = Font::new(data.into(), 0).ok_or(PdfError::Font)?;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language("ja".to_owned())
            .creator("kaiji".to_owned()),
    );
    let settings = || PageSettings::from_wh(mm(A4_WIDTH_MM), mm(A4_HEIGHT_MM));
    for placed in pages {
        let mut page = doc.start_page_with(settings().ok_or(PdfError::Font)?);
        let mut surface = page.surface();
        surface.set_stroke(Some(Stroke {
            width: 0.5,
            ..Stroke::default()
        }));
        for p in placed {
            match p {
                Placed::Text { x, y, size, text } => surface.draw_text(
                    Point::from_xy(x, y),
                    font.clone(),
                    size,
                    &text,
                    false,
                    TextDirection::Auto,
                ),
                Placed::Rule { x1, x2, y } => {
                    let mut path = PathBuilder::new();
                    path.move_to(x1, y);
                    path.line_to(x2, y);
                    if let Some(path) = path.finish() {
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| PdfError::Write(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_and_must_fit_the_upper_half() {
        assert_eq!(WindowMm::parse("23,13,90,45"), Ok(WindowMm::NAGA3));
        assert_eq!(
            WindowMm::parse(" 20 , 15.5 , 95 , 48 ").map(|w| w.top),
            Ok(15.5)
        );
        for bad in [
            "23,13,90",
            "a,b,c,d",
            "150,13,90,45",
            "23,120,90,45",
            "23,13,10,45",
        ] {
            assert!(WindowMm::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lines_break_by_width_keeping_closing_punctuation() {
        let l = Layout::new(face().unwrap());
        let size = 10.0;
        // Full-width characters are one em wide: ten fit in 100 points.
        let lines = l.wrap("あいうえおかきくけこ。さしすせそ", size, 100.0);
        assert_eq!(lines[0], "あいうえおかきくけこ。", "the full stop hangs");
        assert_eq!(lines[1], "さしすせそ");
        let lines = l.wrap("番号 https://kaiji.example/x が", size, 60.0);
        assert!(lines.iter().all(|s| !s.is_empty()), "{lines:?}");
        assert_eq!(
            lines.concat().replace(' ', ""),
            "番号https://kaiji.example/xが"
        );
        let lines = l.wrap("株式会社サンプル 個人情報担当", size, 120.0);
        assert_eq!(
            lines,
            ["株式会社サンプル", "個人情報担当"],
            "broken at the space"
        );
    }

    #[test]
    fn a_letter_is_a_pdf_with_its_text() {
        let letter = Letter {
            title: "手数料のご請求（請求書）".into(),
            paragraphs: vec!["下記のとおりご請求いたします。".into()],
            rows: vec![("請求番号".into(), "INV-KJ-1".into())],
            ..Letter::default()
        };
        let sheet = LetterSheet {
            date: "2026年12月6日".into(),
            receipt_number: "KJ-1".into(),
            to: vec![
                "〒100-0001".into(),
                "東京都千代田区千代田1-1".into(),
                "山田 太郎　様".into(),
            ],
            from: vec!["個人情報担当".into()],
            letter,
        };
        let pdf = letter_pdf(&sheet, WindowMm::NAGA3).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        // A subset: far smaller than the 6 MB font.
        assert!(pdf.len() < 200_000, "{} bytes", pdf.len());
    }
}
