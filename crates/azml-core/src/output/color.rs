//! `-o jsonc` / `-o yamlc`: the text of `json` / `yaml` coloured as pygments'
//! `TerminalFormatter` (dark background palette) colours the tokens of its JSON and YAML
//! lexers, which is what knack and azure-cli call.

use super::yaml::{dump_tokens, Tok};
use serde_json::Value;

const RESET: &str = "\x1b[39;49;00m";
/// Whitespace: "gray".
const GRAY: &str = "\x1b[37m";
/// Name.Tag (object keys, YAML plain keys): "brightblue".
const BRIGHT_BLUE: &str = "\x1b[94m";
/// String: "yellow".
const YELLOW: &str = "\x1b[33m";
/// Number and Keyword (true/false/null in JSON): "blue".
const BLUE: &str = "\x1b[34m";
/// Name.Variable (spaces inside YAML quoted scalars): "red".
const RED: &str = "\x1b[31m";
/// Name.Namespace (YAML `...`): "_cyan_", underlined cyan.
const UNDERLINE_CYAN: &str = "\x1b[04m\x1b[36m";

/// pygments' `TerminalFormatter.format_unencoded` for one token: each line of the token
/// is wrapped in the colour separately, its line break left outside.
fn paint(out: &mut String, color: Option<&str>, text: &str) {
    for line in split_lines_keep_ends(text) {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(b) => (b, true),
            None => (line, false),
        };
        match color {
            Some(c) => {
                out.push_str(c);
                out.push_str(body);
                out.push_str(RESET);
            }
            None => out.push_str(body),
        }
        if newline {
            out.push('\n');
        }
    }
}

/// Python's `str.splitlines(True)`.
fn split_lines_keep_ends(s: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let end = match c {
            '\r' => {
                if let Some(&(_, '\n')) = iter.peek() {
                    iter.next();
                    i + 2
                } else {
                    i + 1
                }
            }
            '\n' | '\u{b}' | '\u{c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => i + c.len_utf8(),
            _ => continue,
        };
        lines.push(&s[start..end]);
        start = end;
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    lines
}

/// `json` text (without its final newline) → `jsonc` output (with it).
pub(crate) fn json_color(json: &str) -> String {
    let text = format!("{json}\n");
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |k: usize| chars.get(k).map(|c| c.0).unwrap_or(text.len());
    let mut out = String::with_capacity(text.len() * 2);
    let mut k = 0;
    while k < chars.len() {
        let start = k;
        let c = chars[k].1;
        let (color, next) = match c {
            ' ' | '\n' | '\t' | '\r' => {
                while k < chars.len() && matches!(chars[k].1, ' ' | '\n' | '\t' | '\r') {
                    k += 1;
                }
                (Some(GRAY), k)
            }
            '"' => {
                k += 1;
                while k < chars.len() && chars[k].1 != '"' {
                    if chars[k].1 == '\\' {
                        k += 1;
                    }
                    k += 1;
                }
                k = (k + 1).min(chars.len());
                // A string followed by `:` is a key.
                let mut j = k;
                while j < chars.len() && matches!(chars[j].1, ' ' | '\n' | '\t' | '\r') {
                    j += 1;
                }
                let is_key = chars.get(j).is_some_and(|c| c.1 == ':');
                (Some(if is_key { BRIGHT_BLUE } else { YELLOW }), k)
            }
            '-' | '0'..='9' => {
                while k < chars.len()
                    && matches!(chars[k].1, '-' | '+' | '.' | 'e' | 'E' | '0'..='9')
                {
                    k += 1;
                }
                (Some(BLUE), k)
            }
            c if c.is_ascii_alphabetic() => {
                while k < chars.len() && chars[k].1.is_ascii_alphabetic() {
                    k += 1;
                }
                (Some(BLUE), k)
            }
            _ => (None, k + 1),
        };
        k = next;
        paint(&mut out, color, &text[at(start)..at(k)]);
    }
    out
}

/// `yamlc` output for `value` (the YAML text with colours).
pub(crate) fn yaml_color(value: &Value) -> String {
    let mut out = String::new();
    for (kind, text) in dump_tokens(value) {
        let color = match kind {
            Tok::Plain => None,
            Tok::Key => Some(BRIGHT_BLUE),
            Tok::Space => Some(GRAY),
            Tok::Str => Some(YELLOW),
            Tok::InnerSpace => Some(RED),
            Tok::DocEnd => Some(UNDERLINE_CYAN),
        };
        paint(&mut out, color, &text);
    }
    out
}
