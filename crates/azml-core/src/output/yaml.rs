//! `-o yaml`: PyYAML's `safe_dump(x, default_flow_style=False)` as azure-cli calls it
//! (`azure/cli/core/_output.py`; unlike knack's own formatter, without
//! `allow_unicode=True`, so non-ASCII text is escaped in double quotes).
//!
//! Why our own emitter: the Rust YAML crates (serde_yaml is unmaintained, its forks and
//! yaml-rust2 emit YAML 1.2) choose different quoting (they do not quote YAML 1.1 words
//! such as `yes`/`on`, or `0x1F`, `2024-01-02`), never fold long lines at 80 columns and
//! print non-ASCII as is, so none prints what az prints. This is a port of the few PyYAML
//! emitter rules that JSON values reach: block mappings (keys sorted) and sequences,
//! `{}`/`[]` for empty ones, plain/single-/double-quoted scalars chosen by PyYAML's
//! `analyze_scalar`, YAML 1.1 implicit types, folding at width 80, `...` after a plain
//! scalar document.

use serde_json::Value;

use super::json::python_float_repr;

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;

/// The YAML text, ending with a newline.
pub(crate) fn safe_dump(value: &Value) -> String {
    dump_tokens(value).into_iter().map(|(_, t)| t).collect()
}

/// How pygments' YAML lexer classifies each piece of the text (for `-o yamlc`); pieces
/// of the same kind may be split differently from the lexer's tokens only where the kind
/// prints without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Plain scalars, indicators, `{}`/`[]`: no colour.
    Plain,
    /// A plain mapping key (Name.Tag).
    Key,
    /// Indentation, line breaks, spaces between tokens (Whitespace).
    Space,
    /// Quotes and text of quoted scalars (String, String.Escape).
    Str,
    /// Spaces inside a quoted scalar that are part of its value (Name.Variable).
    InnerSpace,
    /// The document end marker `...` (Name.Namespace).
    DocEnd,
}

/// The YAML text as classified pieces.
pub(crate) fn dump_tokens(value: &Value) -> Vec<(Tok, String)> {
    let mut e = Emitter {
        out: String::new(),
        tokens: Vec::new(),
        column: 0,
        whitespace: true,
        indention: true,
        open_ended: false,
        indent: None,
        indents: Vec::new(),
    };
    e.node(value, Ctx::ROOT);
    // Document end: a line break, and `...` when the document was a bare plain scalar
    // (a reader could not tell where it ends otherwise).
    e.write_indent();
    if e.open_ended {
        e.write_indicator("...", true, false, false);
        e.write_indent();
    }
    e.tokens
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

impl Ctx {
    const ROOT: Ctx = Ctx {
        root: true,
        mapping: false,
        simple_key: false,
    };
}

struct Emitter {
    out: String,
    tokens: Vec<(Tok, String)>,
    /// In characters, as PyYAML counts.
    column: usize,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
}

impl Emitter {
    fn write(&mut self, data: &str, kind: Tok) {
        self.column += data.chars().count();
        self.push(data, kind);
    }

    fn push(&mut self, data: &str, kind: Tok) {
        self.out.push_str(data);
        // A plain key is one token for the lexer, spaces included.
        if let (Tok::Key, Some((Tok::Key, last))) = (kind, self.tokens.last_mut()) {
            last.push_str(data);
            return;
        }
        self.tokens.push((kind, data.to_string()));
    }

    fn write_line_break(&mut self) {
        self.push("\n", Tok::Space);
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break();
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = " ".repeat(indent - self.column);
            self.push(&pad, Tok::Space);
            self.column = indent;
        }
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) {
        if !self.whitespace && need_whitespace {
            self.write(" ", Tok::Space);
        }
        let kind = match indicator {
            "'" | "\"" => Tok::Str,
            "..." => Tok::DocEnd,
            _ => Tok::Plain,
        };
        self.write(indicator, kind);
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.open_ended = false;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        match self.indent {
            None => self.indent = Some(if flow { BEST_INDENT } else { 0 }),
            Some(i) if !indentless => self.indent = Some(i + BEST_INDENT),
            Some(_) => {}
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().flatten();
    }

    fn node(&mut self, v: &Value, ctx: Ctx) {
        match v {
            Value::Array(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Object(m) if m.is_empty() => self.empty_flow("{", "}"),
            Value::Array(items) => {
                let indentless = ctx.mapping && !self.indention;
                self.increase_indent(false, indentless);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, Ctx::default());
                }
                self.pop_indent();
            }
            Value::Object(m) => {
                self.increase_indent(false, false);
                let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let in_map = Ctx {
                    mapping: true,
                    ..Ctx::default()
                };
                for (k, item) in entries {
                    self.write_indent();
                    let analysis = analyze(k);
                    // PyYAML counts the `!!str` tag in a simple key's length limit.
                    let simple =
                        k.chars().count() + 5 < 128 && !analysis.empty && !analysis.multiline;
                    if simple {
                        self.string_scalar(
                            k,
                            Ctx {
                                simple_key: true,
                                ..in_map
                            },
                        );
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.string_scalar(k, in_map);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(item, in_map);
                }
                self.pop_indent();
            }
            Value::String(s) => self.string_scalar(s, ctx),
            Value::Null => self.plain_scalar("null", ctx),
            Value::Bool(b) => self.plain_scalar(if *b { "true" } else { "false" }, ctx),
            Value::Number(n) => {
                let text = if n.is_f64() {
                    n.as_f64().map(yaml_float).unwrap_or_else(|| n.to_string())
                } else {
                    n.to_string()
                };
                self.plain_scalar(&text, ctx)
            }
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.pop_indent();
        self.write_indicator(close, false, false, false);
    }

    /// A scalar whose plain form always reads back as itself (numbers, booleans, null).
    fn plain_scalar(&mut self, text: &str, ctx: Ctx) {
        self.increase_indent(true, false);
        self.write_plain(text, ctx);
        self.pop_indent();
    }

    fn string_scalar(&mut self, s: &str, ctx: Ctx) {
        self.increase_indent(true, false);
        let a = analyze(s);
        let split = !ctx.simple_key;
        let plain_ok = !resolves_to_other_type(s)
            && !(ctx.simple_key && (a.empty || a.multiline))
            && a.allow_block_plain;
        if plain_ok {
            self.write_plain(s, ctx);
        } else {
            let (mark, tok_mark) = (self.out.len(), self.tokens.len());
            let double = !(a.allow_single_quoted && !(ctx.simple_key && a.multiline));
            if double {
                self.write_double_quoted(s, split);
            } else {
                self.write_single_quoted(s, split);
            }
            // Re-cut the quoted text the way pygments' lexer does (its escapes, spaces
            // and line breaks are tokens of their own).
            let written = self.out[mark..].to_string();
            self.tokens.truncate(tok_mark);
            self.tokens.extend(lex_quoted(&written, double));
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, text: &str, ctx: Ctx) {
        let split = !ctx.simple_key;
        // pygments takes `text:` for a key only when the text has none of `#,?[]{}"'`.
        let lexer_key = !text.contains(['#', ',', '?', '[', ']', '{', '}', '"', '\'']);
        let kind = if ctx.simple_key && lexer_key {
            Tok::Key
        } else {
            Tok::Plain
        };
        if ctx.root {
            self.open_ended = true;
        }
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write(" ", Tok::Space);
        }
        self.whitespace = false;
        self.indention = false;
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        let (mut start, mut end) = (0usize, 0usize);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > BEST_WIDTH && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        let data: String = chars[start..end].iter().collect();
                        self.write(&data, kind);
                    }
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c)) {
                let data: String = chars[start..end].iter().collect();
                self.write(&data, kind);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
            }
            end += 1;
        }
    }

    fn write_single_quoted(&mut self, text: &str, split: bool) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let (mut spaces, mut breaks) = (false, false);
        let (mut start, mut end) = (0usize, 0usize);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && start != 0
                        && end != chars.len()
                    {
                        self.write_indent();
                    } else {
                        let data: String = chars[start..end].iter().collect();
                        self.write(&data, Tok::Str);
                    }
                    start = end;
                }
            } else if breaks {
                if ch.is_none_or(|c| !is_break(c)) {
                    if chars[start] == '\n' {
                        self.write_line_break();
                    }
                    for br in &chars[start..end] {
                        if *br == '\n' {
                            self.write_line_break();
                        } else {
                            self.push(&br.to_string(), Tok::Space);
                            self.whitespace = true;
                            self.indention = true;
                            self.column = 0;
                        }
                    }
                    self.write_indent();
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c) || c == '\'') && start < end {
                let data: String = chars[start..end].iter().collect();
                self.write(&data, Tok::Str);
                start = end;
            }
            if ch == Some('\'') {
                self.write("''", Tok::Str);
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &str, split: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let (mut start, mut end) = (0usize, 0usize);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            let needs_escape = match ch {
                None => true,
                Some(c) => {
                    matches!(
                        c,
                        '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
                    ) || !(' '..='~').contains(&c)
                }
            };
            if needs_escape {
                if start < end {
                    let data: String = chars[start..end].iter().collect();
                    self.write(&data, Tok::Str);
                    start = end;
                }
                if let Some(c) = ch {
                    let data = match escape_replacement(c) {
                        Some(r) => format!("\\{r}"),
                        None if (c as u32) <= 0xff => format!("\\x{:02X}", c as u32),
                        None if (c as u32) <= 0xffff => format!("\\u{:04X}", c as u32),
                        None => format!("\\U{:08X}", c as u32),
                    };
                    self.write(&data, Tok::Str);
                    start = end + 1;
                }
            }
            if end > 0
                && end + 1 < chars.len()
                && (ch == Some(' ') || start >= end)
                && self.column as isize + (end as isize - start as isize) > BEST_WIDTH as isize
                && split
            {
                let mut data: String = chars[start.min(end)..end].iter().collect();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write(&data, Tok::Str);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if chars.get(start) == Some(&' ') {
                    self.write("\\", Tok::Str);
                }
            }
            end += 1;
        }
        self.write_indicator("\"", false, false, false);
    }
}

/// pygments' YAML lexer inside a quoted scalar (`text`: optional spaces, then the quoted
/// scalar as written, closing quote included): quotes, escapes and runs of other non-space
/// characters are String; line breaks, and spaces at a line's start or end, are
/// Whitespace; other spaces, part of the value, are Name.Variable.
fn lex_quoted(text: &str, double: bool) -> Vec<(Tok, String)> {
    let chars: Vec<char> = text.chars().collect();
    let quote = if double { '"' } else { '\'' };
    let mut out: Vec<(Tok, String)> = Vec::new();
    let collect = |from: usize, to: usize| -> String { chars[from..to].iter().collect() };
    let mut i = 0;
    while i < chars.len() && chars[i] == ' ' {
        i += 1;
    }
    if i > 0 {
        out.push((Tok::Space, collect(0, i)));
    }
    if i < chars.len() {
        out.push((Tok::Str, chars[i].to_string()));
        i += 1;
    }
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c == ' ' {
            while i < chars.len() && chars[i] == ' ' {
                i += 1;
            }
            let at_line_start = start > 0 && chars[start - 1] == '\n';
            let at_line_end = i == chars.len() || chars[i] == '\n';
            let kind = if at_line_start || at_line_end {
                Tok::Space
            } else {
                Tok::InnerSpace
            };
            out.push((kind, collect(start, i)));
            continue;
        }
        if c == '\n' {
            while i < chars.len() && chars[i] == '\n' {
                i += 1;
            }
            out.push((Tok::Space, collect(start, i)));
            continue;
        }
        if double && c == '\\' {
            let len = match chars.get(i + 1) {
                Some('x') => 4,
                Some('u') => 6,
                Some('U') => 10,
                Some(_) => 2,
                None => 1,
            };
            i = (i + len).min(chars.len());
            out.push((Tok::Str, collect(start, i)));
            continue;
        }
        if !double && c == '\'' && chars.get(i + 1) == Some(&'\'') {
            i += 2;
            out.push((Tok::Str, collect(start, i)));
            continue;
        }
        if c == quote {
            out.push((Tok::Str, c.to_string()));
            i += 1;
            break;
        }
        while i < chars.len()
            && !chars[i].is_whitespace()
            && chars[i] != quote
            && !(double && chars[i] == '\\')
        {
            i += 1;
        }
        out.push((Tok::Str, collect(start, i)));
    }
    if i < chars.len() {
        out.push((Tok::Plain, collect(i, chars.len())));
    }
    out
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn escape_replacement(c: char) -> Option<&'static str> {
    Some(match c {
        '\0' => "0",
        '\u{7}' => "a",
        '\u{8}' => "b",
        '\t' => "t",
        '\n' => "n",
        '\u{b}' => "v",
        '\u{c}' => "f",
        '\r' => "r",
        '\u{1b}' => "e",
        '"' => "\"",
        '\\' => "\\",
        '\u{85}' => "N",
        '\u{a0}' => "_",
        '\u{2028}' => "L",
        '\u{2029}' => "P",
        _ => return None,
    })
}

/// PyYAML's `represent_float`: `repr()` lower-cased, with `.0` added before an exponent
/// that has no decimal point (`1e+20` → `1.0e+20`), and `.inf`/`.nan`.
fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    let r = python_float_repr(f).to_lowercase();
    if !r.contains('.') && r.contains('e') {
        r.replacen('e', ".0e", 1)
    } else {
        r
    }
}

struct Analysis {
    empty: bool,
    multiline: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

/// PyYAML's `Emitter.analyze_scalar` for block context with `allow_unicode=False`.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let ws = |c: char| {
        matches!(
            c,
            '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
        )
    };
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_ws = true;
    let mut followed_by_ws = chars.len() == 1 || ws(chars[1]);
    for (index, &ch) in chars.iter().enumerate() {
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                block_indicators = true;
            }
            if (ch == '?' || ch == ':') && followed_by_ws {
                block_indicators = true;
            }
            if ch == '-' && followed_by_ws {
                block_indicators = true;
            }
        } else {
            if ch == ':' && followed_by_ws {
                block_indicators = true;
            }
            if ch == '#' && preceded_by_ws {
                block_indicators = true;
            }
        }
        if is_break(ch) {
            line_breaks = true;
        }
        // Without allow_unicode everything outside printable ASCII (but `\n`) is special.
        if !(ch == '\n' || (' '..='~').contains(&ch)) {
            special = true;
        }
        if ch == ' ' {
            if index == 0 {
                leading_space = true;
            }
            if index == chars.len() - 1 {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            if index == 0 {
                leading_break = true;
            }
            if index == chars.len() - 1 {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = ws(ch);
        followed_by_ws = index + 2 >= chars.len() || ws(chars[index + 2]);
    }
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_block_plain = false;
    }
    if break_space {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if space_break || special {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks || block_indicators {
        allow_block_plain = false;
    }
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_block_plain,
        allow_single_quoted,
    }
}

/// Whether PyYAML's YAML 1.1 resolver would read the plain text as something other than a
/// string (bool, int, float, null, timestamp, merge `<<`, value `=`): such strings must be
/// quoted to stay strings.
fn resolves_to_other_type(s: &str) -> bool {
    // Python's `re.match(...$)` also matches before one final newline.
    let s = s.strip_suffix('\n').unwrap_or(s);
    matches!(
        s,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    ) || matches!(s, "" | "~" | "null" | "Null" | "NULL" | "<<" | "=")
        || is_yaml_int(s)
        || is_yaml_float(s)
        || is_yaml_timestamp(s)
}

fn strip_sign(s: &str) -> &str {
    s.strip_prefix(['-', '+']).unwrap_or(s)
}

fn all_in(s: &str, f: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(f)
}

/// `(?::[0-5]?[0-9])+` over the whole of `s`.
fn is_sexagesimal_tail(s: &str) -> bool {
    let Some(rest) = s.strip_prefix(':') else {
        return false;
    };
    rest.split(':').all(|group| {
        let b = group.as_bytes();
        match b.len() {
            1 => b[0].is_ascii_digit(),
            2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
            _ => false,
        }
    })
}

/// `[0-9][0-9_]*` then the rest of the text.
fn split_digits_underscores(s: &str) -> Option<(&str, &str)> {
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
        .unwrap_or(s.len());
    Some(s.split_at(end))
}

fn is_yaml_int(s: &str) -> bool {
    let u = strip_sign(s);
    if let Some(b) = u.strip_prefix("0b") {
        return all_in(b, |c| c == '0' || c == '1' || c == '_');
    }
    if let Some(x) = u.strip_prefix("0x") {
        return all_in(x, |c| c.is_ascii_hexdigit() || c == '_');
    }
    if u == "0" {
        return true;
    }
    if let Some(o) = u.strip_prefix('0') {
        return all_in(o, |c| ('0'..='7').contains(&c) || c == '_');
    }
    if u.starts_with(|c: char| ('1'..='9').contains(&c)) {
        let (_, rest) = split_digits_underscores(u).expect("starts with a digit");
        return rest.is_empty() || is_sexagesimal_tail(rest);
    }
    false
}

/// `(?:[eE][-+][0-9]+)?` over the whole of `s`.
fn is_opt_exponent(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    let Some(rest) = s.strip_prefix(['e', 'E']) else {
        return false;
    };
    let Some(digits) = rest.strip_prefix(['-', '+']) else {
        return false;
    };
    all_in(digits, |c| c.is_ascii_digit())
}

fn is_yaml_float(s: &str) -> bool {
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let u = strip_sign(s);
    if matches!(u, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    // `\.[0-9][0-9_]*(exp)?` takes no sign.
    if let Some(frac) = s.strip_prefix('.') {
        if let Some((_, rest)) = split_digits_underscores(frac) {
            if is_opt_exponent(rest) {
                return true;
            }
        }
    }
    let Some((_, rest)) = split_digits_underscores(u) else {
        return false;
    };
    // `[0-9][0-9_]*\.[0-9_]*(exp)?`
    if let Some(after_dot) = rest.strip_prefix('.') {
        let end = after_dot
            .find(|c: char| !(c.is_ascii_digit() || c == '_'))
            .unwrap_or(after_dot.len());
        if is_opt_exponent(&after_dot[end..]) {
            return true;
        }
    }
    // `[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`
    if let Some(dot) = rest.find('.') {
        let (sexa, frac) = rest.split_at(dot);
        if is_sexagesimal_tail(sexa) && frac[1..].chars().all(|c| c.is_ascii_digit() || c == '_') {
            return true;
        }
    }
    false
}

fn is_yaml_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| -> bool {
        b.len() >= from + n && b[from..from + n].iter().all(u8::is_ascii_digit)
    };
    // YYYY-MM-DD exactly.
    if b.len() == 10 && digits(0, 4) && b[4] == b'-' && digits(5, 2) && b[7] == b'-' && digits(8, 2)
    {
        return true;
    }
    // YYYY-M(M)-D(D)(T|t|[ \t]+)H(H):MM:SS(.fff)?([ \t]*(Z|[-+]H(H)(:MM)?))?
    let mut i = 0;
    let take_digits = |i: &mut usize, min: usize, max: usize| -> bool {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max {
            *i += 1;
        }
        *i - start >= min
    };
    if !take_digits(&mut i, 4, 4) || b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    if !take_digits(&mut i, 1, 2) || b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    if !take_digits(&mut i, 1, 2) {
        return false;
    }
    match b.get(i) {
        Some(b'T') | Some(b't') => i += 1,
        Some(b' ') | Some(b'\t') => {
            while matches!(b.get(i), Some(b' ') | Some(b'\t')) {
                i += 1;
            }
        }
        _ => return false,
    }
    if !take_digits(&mut i, 1, 2) || b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    if !take_digits(&mut i, 2, 2) || b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    if !take_digits(&mut i, 2, 2) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while matches!(b.get(i), Some(c) if c.is_ascii_digit()) {
            i += 1;
        }
    }
    if i == b.len() {
        return true;
    }
    while matches!(b.get(i), Some(b' ') | Some(b'\t')) {
        i += 1;
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'-') | Some(b'+') => {
            i += 1;
            if !take_digits(&mut i, 1, 2) {
                return false;
            }
            if i == b.len() {
                return true;
            }
            if b[i] != b':' {
                return false;
            }
            i += 1;
            take_digits(&mut i, 2, 2) && i == b.len()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn implicit_types_of_yaml_1_1() {
        for s in [
            "yes",
            "Off",
            "~",
            "",
            "null",
            "123",
            "-1_000",
            "0o17x",
            "0x1F",
            "017",
            "0b101",
            "1:30",
            ".5",
            "1.5",
            "-1.5e+3",
            "1.",
            "1:30.5",
            ".inf",
            "-.Inf",
            ".NaN",
            "2024-01-02",
            "2024-1-2T10:00:00",
            "2024-01-02 10:00:00.5 +01:00",
            "<<",
            "=",
        ] {
            let expect = s != "0o17x";
            assert_eq!(resolves_to_other_type(s), expect, "{s:?}");
        }
        for s in [
            "1.5e3",
            "0o17",
            "abc",
            "1_",
            "2024-01-022",
            "1:60",
            "+.nan",
            "Yes!",
            "1e5",
            "08",
        ] {
            // "1_" is an int in YAML 1.1 ([1-9][0-9_]*); "08" is not octal nor decimal.
            let expect = s == "1_";
            assert_eq!(resolves_to_other_type(s), expect, "{s:?}");
        }
    }

    #[test]
    fn floats_as_pyyaml() {
        assert_eq!(yaml_float(1e20), "1.0e+20");
        assert_eq!(yaml_float(1.5), "1.5");
        assert_eq!(yaml_float(1.5e-7), "1.5e-07");
        assert_eq!(yaml_float(f64::INFINITY), ".inf");
    }

    #[test]
    fn long_double_quoted_text_folds_with_backslashes() {
        let s = "é ".repeat(50);
        let out = safe_dump(&json!({ "k": s }));
        assert!(out.starts_with("k: \"\\xE9 \\xE9"));
        assert!(out.lines().count() > 1);
        for line in out.lines().take(out.lines().count() - 1) {
            assert!(line.ends_with('\\'), "{line:?}");
        }
    }
}
