//! A tiny CSV reader for `data-categories.csv`: comma separated, optional double quotes, `""` escapes.

/// One parsed row with the 1-based line it starts on and the byte offset of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsvRow {
    pub line: usize,
    pub fields: Vec<String>,
    pub offsets: Vec<usize>,
}

/// Splits `text` into rows. A quoted field may hold commas and doubled quotes;
/// newlines inside quotes are not needed by the taxonomy and end the row, which
/// keeps line numbers in errors simple. Returns an error message with its byte
/// offset when a quote is left open.
pub(crate) fn parse(text: &str) -> Result<Vec<CsvRow>, (usize, String)> {
    let mut rows = Vec::new();
    let mut line_start = 0usize;
    for (index, raw_line) in text.split('\n').enumerate() {
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let this_start = line_start;
        line_start += raw_line.len() + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut offsets = Vec::new();
        let mut chars = line.char_indices().peekable();
        loop {
            let field_start = chars.peek().map_or(line.len(), |(i, _)| *i);
            offsets.push(this_start + field_start);
            let mut field = String::new();
            if chars.peek().map(|(_, c)| *c) == Some('"') {
                chars.next();
                let mut closed = false;
                while let Some((_, c)) = chars.next() {
                    if c == '"' {
                        if chars.peek().map(|(_, c)| *c) == Some('"') {
                            chars.next();
                            field.push('"');
                        } else {
                            closed = true;
                            break;
                        }
                    } else {
                        field.push(c);
                    }
                }
                if !closed {
                    return Err((
                        this_start + field_start,
                        "unterminated quoted field".to_string(),
                    ));
                }
                // Anything between the closing quote and the next comma is kept, like most readers do.
                while let Some((_, c)) = chars.peek().copied() {
                    if c == ',' {
                        break;
                    }
                    field.push(c);
                    chars.next();
                }
            } else {
                while let Some((_, c)) = chars.peek().copied() {
                    if c == ',' {
                        break;
                    }
                    field.push(c);
                    chars.next();
                }
            }
            fields.push(field);
            match chars.next() {
                Some((_, ',')) => continue,
                _ => break,
            }
        }
        rows.push(CsvRow {
            line: index + 1,
            fields,
            offsets,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_quoted_fields() {
        let rows = parse("a,b,,\n\"x, y\",\"say \"\"hi\"\"\",z\n").unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].fields, vec!["a", "b", "", ""]);
        assert_eq!(rows[1].fields, vec!["x, y", "say \"hi\"", "z"]);
        assert_eq!(rows[1].line, 2);
        assert_eq!(rows[1].offsets[2], 6 + 20);
        assert!(parse("\"open").is_err());
    }
}
