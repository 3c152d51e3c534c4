//! The files table: every scanned file's relative path and text, and byte spans into them.
//!
//! One table serves every renderer: the terminal snippet, JSON line/column and SARIF regions all
//! come from a [`Span`] resolved here, so they always agree.

pub mod lexer;

use camino::{Utf8Path, Utf8PathBuf};
use std::sync::Arc;

/// Index of a file in [`Files`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, range: std::ops::Range<usize>) -> Span {
        let start = u32::try_from(range.start).unwrap_or(u32::MAX);
        let end = u32::try_from(range.end).unwrap_or(u32::MAX).max(start);
        Span { file, start, end }
    }
}

/// A 1-based line and column; the column counts characters, as editors and SARIF do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct LineColumn {
    pub line: u32,
    pub column: u32,
}

/// The 1-based line and column of byte `offset` in `text`, the column counted in characters (as
/// editors and SARIF count it). An offset past the end is the end; one inside a character is
/// that character. Every line/column borderline prints comes from here: the files table's
/// methods call it on the line they find, and rule-data errors on the whole file.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = text.as_bytes().get(..end).unwrap_or_default();
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let column = text.get(line_start..end).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// One scanned file: its path relative to the scanned root (always `/`-separated) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub id: FileId,
    pub path: Utf8PathBuf,
    pub text: Arc<str>,
    /// Byte offsets where lines start, computed on first use (most files never need them).
    line_starts: std::sync::OnceLock<Vec<u32>>,
    /// Comments and string literals, lexed once for every extractor that needs them.
    pieces: std::sync::OnceLock<Vec<crate::source::lexer::Piece>>,
}

impl SourceFile {
    pub fn new(id: FileId, path: Utf8PathBuf, text: Arc<str>) -> SourceFile {
        SourceFile {
            id,
            path,
            text,
            line_starts: std::sync::OnceLock::new(),
            pieces: std::sync::OnceLock::new(),
        }
    }

    /// The file's comments and string literals, in order; empty for a file whose syntax
    /// borderline does not know. Lexed on first use, then shared.
    pub(crate) fn pieces(&self) -> &[crate::source::lexer::Piece] {
        self.pieces.get_or_init(|| {
            crate::source::lexer::syntax_for(self.path.as_str())
                .map(|syntax| crate::source::lexer::lex(&self.text, &syntax))
                .unwrap_or_default()
        })
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0u32];
            starts.extend(
                memchr::memchr_iter(b'\n', self.text.as_bytes())
                    .map(|i| u32::try_from(i + 1).unwrap_or(u32::MAX)),
            );
            starts
        })
    }

    /// The span of a byte range of this file.
    pub fn span(&self, range: std::ops::Range<usize>) -> Span {
        Span::new(self.id, range)
    }

    /// The span of the whole of 1-based line `line`, without its line break.
    pub fn line_span(&self, line: u32) -> Span {
        let index = (line.max(1) - 1) as usize;
        let start = self.line_starts().get(index).copied().unwrap_or(0) as usize;
        let end = self
            .line_starts()
            .get(index + 1)
            .map(|next| (*next as usize).saturating_sub(1))
            .unwrap_or(self.text.len());
        let end = end.max(start);
        let trimmed_end =
            if self.text.as_bytes().get(end.wrapping_sub(1)) == Some(&b'\r') && end > start {
                end - 1
            } else {
                end
            };
        Span::new(self.id, start..trimmed_end)
    }

    /// The span at a 1-based line and column (in characters), one byte long, clamped to the file.
    pub fn span_at(&self, line: u32, column: u32) -> Span {
        let line_span = self.line_span(line);
        let line_text = &self.text[line_span.start as usize..line_span.end as usize];
        let offset: usize = line_text
            .chars()
            .take(column.max(1) as usize - 1)
            .map(char::len_utf8)
            .sum();
        let start = line_span.start as usize + offset;
        let end = (start + 1).min(line_span.end as usize).max(start);
        Span::new(self.id, start..end)
    }

    /// Number of lines in the file.
    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    /// 0-based index of the line that holds byte `offset`.
    pub fn line_index(&self, offset: u32) -> u32 {
        let offset = offset.min(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        let index = match self.line_starts().binary_search(&offset) {
            Ok(index) => index,
            Err(index) => index - 1,
        };
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    /// Line and column (both 1-based, column in characters) of a byte offset.
    pub fn line_column(&self, offset: u32) -> LineColumn {
        let offset = offset.min(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        let line_index = match self.line_starts().binary_search(&offset) {
            Ok(index) => index,
            Err(index) => index - 1,
        };
        let line_start = self.line_starts()[line_index] as usize;
        // The line was found by the line starts; the column is counted within it.
        let line_text = self.text.get(line_start..).unwrap_or("");
        let (_, column) = line_column(line_text, offset as usize - line_start);
        LineColumn {
            line: u32::try_from(line_index + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let span = self.line_span(line);
        &self.text[span.start as usize..span.end as usize]
    }
}

/// What reports keep of a scanned file once extraction is done: its path and the lines facts
/// point into, with the lines around them that the terminal report shows. Sources are not kept
/// whole, so a scan's memory follows its facts, not the size of the repository.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub id: FileId,
    pub path: Utf8PathBuf,
    /// Length of the whole text in bytes.
    len: u32,
    /// The kept lines in ascending order.
    lines: Vec<KeptLine>,
    /// The kept lines' text, each with its line break, one after the other.
    text: String,
}

#[derive(Debug, Clone, Copy)]
struct KeptLine {
    /// 0-based line index in the whole text.
    index: u32,
    /// Byte offset of the line's start in the whole text.
    start: u32,
    /// Byte offset of the line's start in [`StoredFile::text`].
    at: u32,
}

/// A kept line of a [`StoredFile`].
#[derive(Debug, Clone, Copy)]
pub struct StoredLine<'a> {
    /// 0-based line index in the whole text.
    pub index: u32,
    /// Byte offset of the line's start in the whole text.
    pub start: u32,
    /// The line's text with its line break, if it has one.
    pub text: &'a str,
}

/// Lines kept around a span's first line: one before it and the next five (a multi-line
/// annotation shows up to four lines past its start), and around its last line: two before it
/// and one after (a single line between two shown lines is shown rather than elided).
const KEEP_BEFORE: u32 = 1;
const KEEP_AFTER_START: u32 = 5;
const KEEP_BEFORE_END: u32 = 2;
const KEEP_AFTER_END: u32 = 1;

impl StoredFile {
    /// Keeps every line of `file` (the manifest, small files a report quotes at length).
    pub fn whole(file: &SourceFile) -> StoredFile {
        let count = u32::try_from(file.line_starts().len()).unwrap_or(u32::MAX);
        StoredFile::with_lines(file, 0..count)
    }

    /// Keeps what reports need to show and locate `spans` (byte ranges of `file`).
    pub fn keeping(file: &SourceFile, spans: impl IntoIterator<Item = (u32, u32)>) -> StoredFile {
        let mut spans = spans.into_iter().peekable();
        if spans.peek().is_none() {
            // Most files: nothing points into them, and their lines are never even counted.
            return StoredFile::with_lines(file, std::iter::empty());
        }
        let last = u32::try_from(file.line_starts().len().saturating_sub(1)).unwrap_or(u32::MAX);
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        for (start, end) in spans {
            let first = file.line_index(start);
            let final_line = file.line_index(end.max(start));
            ranges.push((
                first.saturating_sub(KEEP_BEFORE),
                first.saturating_add(KEEP_AFTER_START).min(final_line),
            ));
            ranges.push((
                final_line.saturating_sub(KEEP_BEFORE_END).max(first),
                final_line.saturating_add(KEEP_AFTER_END).min(last),
            ));
        }
        ranges.sort_unstable();
        let mut indices: Vec<u32> = Vec::new();
        for (from, to) in ranges {
            let from = indices
                .last()
                .map_or(from, |&l| from.max(l.saturating_add(1)));
            if from <= to {
                indices.extend(from..=to);
            }
        }
        StoredFile::with_lines(file, indices)
    }

    /// A file that could not be read: a path and nothing else.
    pub fn absent(id: FileId, path: Utf8PathBuf) -> StoredFile {
        StoredFile {
            id,
            path,
            len: 0,
            lines: Vec::new(),
            text: String::new(),
        }
    }

    fn with_lines(file: &SourceFile, indices: impl IntoIterator<Item = u32>) -> StoredFile {
        let mut lines = Vec::new();
        let mut text = String::new();
        for index in indices {
            let Some(&start) = file.line_starts().get(index as usize) else {
                continue;
            };
            let end = file
                .line_starts()
                .get(index as usize + 1)
                .map_or(file.text.len(), |&next| next as usize);
            lines.push(KeptLine {
                index,
                start,
                at: u32::try_from(text.len()).unwrap_or(u32::MAX),
            });
            text.push_str(file.text.get(start as usize..end).unwrap_or(""));
        }
        text.shrink_to_fit();
        lines.shrink_to_fit();
        StoredFile {
            id: file.id,
            path: file.path.clone(),
            len: u32::try_from(file.text.len()).unwrap_or(u32::MAX),
            lines,
            text,
        }
    }

    /// Length of the whole text in bytes.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The kept lines, in ascending order.
    pub fn lines(&self) -> impl Iterator<Item = StoredLine<'_>> {
        (0..self.lines.len()).filter_map(|i| self.line_at(i))
    }

    fn line_at(&self, position: usize) -> Option<StoredLine<'_>> {
        let line = self.lines.get(position)?;
        let end = self
            .lines
            .get(position + 1)
            .map_or(self.text.len(), |next| next.at as usize);
        Some(StoredLine {
            index: line.index,
            start: line.start,
            text: self.text.get(line.at as usize..end).unwrap_or(""),
        })
    }

    /// The kept line that holds byte `offset`, if it was kept.
    pub fn line_holding(&self, offset: u32) -> Option<StoredLine<'_>> {
        let position = self
            .lines
            .partition_point(|line| line.start <= offset)
            .checked_sub(1)?;
        let line = self.line_at(position)?;
        let end = line.start as usize + line.text.len();
        let last = position + 1 == self.lines.len() && end == self.len as usize;
        // The end of the file belongs to its last line.
        ((offset as usize) < end || last).then_some(line)
    }

    /// Line and column (both 1-based, column in characters) of a byte offset that facts point at.
    pub fn line_column(&self, offset: u32) -> LineColumn {
        let offset = offset.min(self.len);
        let Some(line) = self.line_holding(offset) else {
            // Only offsets of kept lines are ever asked for; anything else gets its nearest line.
            let before = self.lines.partition_point(|line| line.start <= offset);
            let index = before
                .checked_sub(1)
                .and_then(|p| self.lines.get(p))
                .map_or(0, |line| line.index);
            return LineColumn {
                line: index.saturating_add(1),
                column: 1,
            };
        };
        let (_, column) = line_column(line.text, (offset - line.start) as usize);
        LineColumn {
            line: line.index.saturating_add(1),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

/// Every file of a scan, indexed by [`FileId`]. Files are sorted by path, so ids are deterministic.
#[derive(Debug, Clone, Default)]
pub struct Files {
    files: Vec<StoredFile>,
}

impl Files {
    pub fn new() -> Files {
        Files::default()
    }

    /// Adds a whole file and returns its id. Callers add files in path order.
    pub fn add(&mut self, path: Utf8PathBuf, text: Arc<str>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files
            .push(StoredFile::whole(&SourceFile::new(id, path, text)));
        id
    }

    /// Adds a stored file; its id must be the next one.
    pub fn push(&mut self, file: StoredFile) {
        debug_assert_eq!(file.id.0 as usize, self.files.len());
        self.files.push(file);
    }

    pub fn get(&self, id: FileId) -> Option<&StoredFile> {
        self.files.get(id.0 as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = &StoredFile> {
        self.files.iter()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn by_path(&self, path: &Utf8Path) -> Option<&StoredFile> {
        self.files.iter().find(|file| file.path == path)
    }

    /// The path, line and column where a span starts.
    pub fn resolve(&self, span: Span) -> Option<(&Utf8Path, LineColumn)> {
        let file = self.get(span.file)?;
        Some((file.path.as_path(), file.line_column(span.start)))
    }

    /// The path, start and end line/column of a span.
    pub fn resolve_range(&self, span: Span) -> Option<(&Utf8Path, LineColumn, LineColumn)> {
        let file = self.get(span.file)?;
        Some((
            file.path.as_path(),
            file.line_column(span.start),
            file.line_column(span.end),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_column_function_counts_characters_from_one() {
        let text = "ab\nZoë = 1\r\nx";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 2), (1, 3));
        assert_eq!(line_column(text, 3), (2, 1));
        // "Zoë " is 5 bytes but 4 characters: `=` is column 5.
        assert_eq!(line_column(text, 8), (2, 5));
        // Inside `ë` (bytes 5 and 6) is `ë` itself.
        assert_eq!(line_column(text, 6), (2, 3));
        // Past the end is the end: after `x` on line 3.
        assert_eq!(line_column(text, 100), (3, 2));
        assert_eq!(line_column("", 0), (1, 1));
        assert_eq!(line_column("\n\n", 2), (3, 1));
    }

    #[test]
    fn stored_lines_give_the_same_line_and_column_as_the_whole_file() {
        let text = "ab\nZoë = 1\r\nx\n\nlast ü line";
        let file = SourceFile::new(FileId(0), "a.toml".into(), Arc::from(text));
        let stored = StoredFile::whole(&file);
        for offset in 0..=text.len() as u32 + 2 {
            let (line, column) = line_column(text, offset as usize);
            let expected = LineColumn {
                line: line as u32,
                column: column as u32,
            };
            assert_eq!(file.line_column(offset), expected, "offset {offset}");
            assert_eq!(stored.line_column(offset), expected, "offset {offset}");
        }
    }

    #[test]
    fn line_columns_count_characters() {
        let file = SourceFile::new(FileId(0), "a.toml".into(), Arc::from("ab\nZoë = 1\r\nx"));
        assert_eq!(file.line_column(0), LineColumn { line: 1, column: 1 });
        assert_eq!(file.line_column(3), LineColumn { line: 2, column: 1 });
        // "Zoë " is 5 bytes but 4 characters: `=` is column 5.
        assert_eq!(file.line_column(8), LineColumn { line: 2, column: 5 });
        assert_eq!(file.line_text(2), "Zoë = 1");
        assert_eq!(file.line_column(100).line, 3);
        let at = file.span_at(2, 5);
        assert_eq!(&file.text[at.start as usize..at.end as usize], "=");
    }
}
