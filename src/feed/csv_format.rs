//! CSV as spreadsheets and BI tools read it best: RFC 4180 (CRLF, a header row, fields with
//! `,` `"` CR or LF quoted, quotes doubled), UTF-8 with an optional BOM for Excel, ISO dates,
//! `.` decimals, empty for null. Text that Excel would run as a formula (starting with
//! `= + - @`, tab or CR) is prefixed with `'`; numbers are never touched (`-3` stays a number).

use super::columns::CellValue;

/// Excel needs it to read UTF-8; strict parsers may not want it, so it is opt-in (`?bom=true`).
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The header line (with CRLF).
pub fn header<S: AsRef<str>>(names: &[S], out: &mut Vec<u8>) {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_field(name.as_ref(), out);
    }
    out.extend_from_slice(b"\r\n");
}

/// One record (with CRLF).
pub fn row(cells: &[CellValue], out: &mut Vec<u8>) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match cell {
            CellValue::Null => {}
            CellValue::String(text) => {
                if starts_like_a_formula(text) {
                    write_field(&format!("'{text}"), out);
                } else {
                    write_field(text, out);
                }
            }
            other => write_field(&other.to_text(), out),
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// Whether a spreadsheet would treat `text` as a formula (OWASP "CSV injection").
pub fn starts_like_a_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

fn write_field(text: &str, out: &mut Vec<u8>) {
    if text.contains([',', '"', '\r', '\n']) {
        out.push(b'"');
        for part in text.split_inclusive('"') {
            out.extend_from_slice(part.as_bytes());
            if part.ends_with('"') {
                out.push(b'"');
            }
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    fn line(cells: &[CellValue]) -> String {
        let mut out = Vec::new();
        row(cells, &mut out);
        String::from_utf8(out).expect("utf-8")
    }

    fn text(s: &str) -> CellValue {
        CellValue::String(s.to_owned())
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(line(&[text("plain"), text("a,b")]), "plain,\"a,b\"\r\n");
        assert_eq!(
            line(&[text("say \"hi\""), text("two\r\nlines")]),
            "\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n"
        );
        assert_eq!(line(&[text("\"")]), "\"\"\"\"\r\n");
        assert_eq!(line(&[text("Unicode: café 🚀")]), "Unicode: café 🚀\r\n");
        assert_eq!(line(&[text("  spaced  ")]), "  spaced  \r\n");
    }

    #[test]
    fn nulls_are_empty_and_types_use_iso_forms() {
        assert_eq!(
            line(&[
                CellValue::Null,
                CellValue::DateTimeOffset(datetime!(2024-01-02 03:04:05 UTC)),
                CellValue::Date(date!(2024 - 01 - 02)),
                CellValue::Double(2.5),
                CellValue::Int64(-3600),
                CellValue::Boolean(false),
                CellValue::Null,
            ]),
            ",2024-01-02T03:04:05Z,2024-01-02,2.5,-3600,false,\r\n"
        );
    }

    #[test]
    fn formulas_are_defused_but_negative_numbers_are_not() {
        assert_eq!(
            line(&[text("=HYPERLINK(\"x\")")]),
            "\"'=HYPERLINK(\"\"x\"\")\"\r\n"
        );
        assert_eq!(line(&[text("+SUM(1,2)")]), "\"'+SUM(1,2)\"\r\n");
        assert_eq!(line(&[text("-2+3")]), "'-2+3\r\n");
        assert_eq!(line(&[text("@cmd")]), "'@cmd\r\n");
        assert_eq!(line(&[text("\ttab")]), "'\ttab\r\n");
        assert_eq!(line(&[text("\rcr")]), "\"'\rcr\"\r\n");
        assert_eq!(
            line(&[CellValue::Int64(-5), CellValue::Double(-0.5)]),
            "-5,-0.5\r\n"
        );
        assert_eq!(line(&[text("a=b")]), "a=b\r\n");
    }

    #[test]
    fn the_header_is_a_record_too() {
        let mut out = Vec::new();
        header(&["Id", "Key", "Team_customfield_10035"], &mut out);
        assert_eq!(out, b"Id,Key,Team_customfield_10035\r\n");
    }
}
