//! The files table: every scanned file's relative path and text, and byte spans into them.
//!
//! One table serves every renderer: the terminal snippet, JSON line/column and SARIF regions all
//! come from a [`Span`] resolved here, so they always agree.

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

/// One scanned file: its path relative to the scanned root (always `/`-separated) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub id: FileId,
    pub path: Utf8PathBuf,
    pub text: Arc<str>,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(id: FileId, path: Utf8PathBuf, text: Arc<str>) -> SourceFile {
        let mut line_starts = vec![0u32];
        line_starts.extend(
            memchr::memchr_iter(b'\n', text.as_bytes())
                .map(|i| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        SourceFile {
            id,
            path,
            text,
            line_starts,
        }
    }

    /// The span of a byte range of this file.
    pub fn span(&self, range: std::ops::Range<usize>) -> Span {
        Span::new(self.id, range)
    }

    /// The span of the whole of 1-based line `line`, without its line break.
    pub fn line_span(&self, line: u32) -> Span {
        let index = (line.max(1) - 1) as usize;
        let start = self.line_starts.get(index).copied().unwrap_or(0) as usize;
        let end = self
            .line_starts
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
        self.line_starts.len()
    }

    /// Line and column (both 1-based, column in characters) of a byte offset.
    pub fn line_column(&self, offset: u32) -> LineColumn {
        let offset = offset.min(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(index) => index,
            Err(index) => index - 1,
        };
        let line_start = self.line_starts[line_index] as usize;
        let mut end = offset as usize;
        while end > line_start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.text[line_start..end].chars().count() + 1;
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

/// Every file of a scan, indexed by [`FileId`]. Files are sorted by path, so ids are deterministic.
#[derive(Debug, Clone, Default)]
pub struct Files {
    files: Vec<SourceFile>,
}

impl Files {
    pub fn new() -> Files {
        Files::default()
    }

    /// Adds a file and returns its id. Callers add files in path order.
    pub fn add(&mut self, path: Utf8PathBuf, text: Arc<str>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::new(id, path, text));
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn by_path(&self, path: &Utf8Path) -> Option<&SourceFile> {
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
