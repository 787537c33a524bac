//! `-o/--output`: the text az prints for a command's (queried) result.
//!
//! The rules are those of knack's `output.py` (json, jsonc, table, tsv) and azure-cli's
//! `_output.py` (yaml, yamlc, none), with tabulate's `simple` table format and PyYAML's
//! `safe_dump` for YAML. Every function here returns exactly the characters az writes to
//! stdout, trailing newline included (az prints with `end=''`; each formatter supplies its
//! own final newline).

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use super::json::to_az_json;
use super::query::{number_str, py_value_repr};
use super::{color, query, sort_keys, yaml, QueryError};

/// A value of `-o/--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum OutputKind {
    /// `json.dumps(x, ensure_ascii=False, indent=2, sort_keys=True)` and a newline.
    #[default]
    Json,
    /// `json` coloured with ANSI codes (pygments' JSON lexer, terminal formatter). az
    /// falls back to `json` when stdout is not a terminal; the caller decides that (see
    /// [`OutputKind::for_terminal`]).
    Jsonc,
    /// Tab-separated values, one line per result item.
    Tsv,
    /// A text table (tabulate's `simple` format).
    Table,
    /// PyYAML `safe_dump(x, default_flow_style=False)`.
    Yaml,
    /// `yaml` coloured with ANSI codes; falls back to `yaml` off a terminal.
    Yamlc,
    /// Nothing.
    None,
}

impl OutputKind {
    /// In the order az lists them in its error message.
    pub const ALL: [OutputKind; 7] = [
        OutputKind::Json,
        OutputKind::Jsonc,
        OutputKind::Yaml,
        OutputKind::Yamlc,
        OutputKind::Table,
        OutputKind::Tsv,
        OutputKind::None,
    ];

    /// The name az accepts.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputKind::Json => "json",
            OutputKind::Jsonc => "jsonc",
            OutputKind::Tsv => "tsv",
            OutputKind::Table => "table",
            OutputKind::Yaml => "yaml",
            OutputKind::Yamlc => "yamlc",
            OutputKind::None => "none",
        }
    }

    /// What az actually uses: the coloured kinds lose their colour when stdout is not a
    /// terminal (azure-cli's `get_formatter`).
    pub fn for_terminal(self, stdout_is_tty: bool) -> OutputKind {
        match self {
            OutputKind::Jsonc if !stdout_is_tty => OutputKind::Json,
            OutputKind::Yamlc if !stdout_is_tty => OutputKind::Yaml,
            other => other,
        }
    }
}

impl fmt::Display for OutputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `-o` value az would refuse; the message is argparse's, as az prints it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("argument --output/-o: invalid choice: {} (choose from 'json', 'jsonc', 'yaml', 'yamlc', 'table', 'tsv', 'none')", query::python_repr(.0))]
pub struct InvalidOutputKind(pub String);

impl FromStr for OutputKind {
    type Err = InvalidOutputKind;

    /// Case-insensitive, as az lower-cases the value before checking it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_lowercase();
        OutputKind::ALL
            .into_iter()
            .find(|k| k.as_str() == lower)
            .ok_or(InvalidOutputKind(lower))
    }
}

/// The `-o table` transformers az registers for the commands azml reproduces. Commands not
/// listed here have none and get knack's generic table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableTransformer {
    /// `az group list`: columns Name, Location, Status (`properties.provisioningState`).
    GroupList,
}

/// How the result was produced, which changes `table` and `tsv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderOptions {
    /// `--query` was given: the table keeps the result's key order (a multi-select hash
    /// lists its columns as written), no table transformer applies, and `tsv` prints an
    /// object's values in its key order too (az sorts a plain dict but not a multi-select
    /// hash; [`az_output`] arranges for both, a caller of `render_with` passes objects from
    /// the result with sorted keys, as the shapers make them).
    pub query_active: bool,
    /// The command's registered table transformer, if any.
    pub table_transformer: Option<TableTransformer>,
}

/// Why `-o table` cannot show a result (az's message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Table output unavailable. Use the --query option to specify an appropriate query. Use --debug for more info.")]
pub struct TableUnavailable;

/// A failure between a command's result and the text az prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    /// `--query` is invalid or fails on the result.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// `-o table` with a transformer that does not fit the result.
    #[error(transparent)]
    Table(#[from] TableUnavailable),
}

/// The text az prints for `value` with `-o kind`, no `--query`, no table transformer.
///
/// A `null` result prints nothing in every format (knack skips output when the result is
/// `None`). Otherwise the text ends with a newline, except `none` which is empty.
pub fn render(value: &Value, kind: OutputKind) -> String {
    render_with(value, kind, RenderOptions::default())
        .expect("without a table transformer every result renders")
}

/// [`render`] with the command's context (query active, table transformer).
pub fn render_with(
    value: &Value,
    kind: OutputKind,
    options: RenderOptions,
) -> Result<String, TableUnavailable> {
    if value.is_null() {
        return Ok(String::new());
    }
    Ok(match kind {
        OutputKind::Json => {
            let mut s = to_az_json(value);
            s.push('\n');
            s
        }
        OutputKind::Jsonc => color::json_color(&to_az_json(value)),
        OutputKind::Tsv => tsv(value, !options.query_active),
        OutputKind::Table => table(value, options)?,
        OutputKind::Yaml => yaml::safe_dump(value),
        OutputKind::Yamlc => color::yaml_color(value),
        OutputKind::None => String::new(),
    })
}

/// The whole of what az does after a command returns `result`: its global transform
/// ([`add_resource_group`]), `--query`, then `-o`. The query is checked before anything
/// else, as az checks it while parsing arguments.
pub fn az_output(
    result: &Value,
    query_expr: Option<&str>,
    kind: OutputKind,
    table_transformer: Option<TableTransformer>,
) -> Result<String, OutputError> {
    if let Some(expr) = query_expr {
        query::check_query(expr)?;
    }
    let result = &add_resource_group(result);
    let (value, query_active) = match query_expr {
        // In az the objects taken from the result are plain dicts, which `tsv` prints in
        // sorted key order, while multi-select hashes are OrderedDicts printed as written:
        // querying a key-sorted copy gives both. `table` lists a plain dict's columns in
        // its own order, so it queries the result as it is.
        Some(expr) if kind == OutputKind::Tsv => (query::query(&sort_keys(result), expr)?, true),
        Some(expr) => (query::query(result, expr)?, true),
        None => (result.clone(), false),
    };
    Ok(render_with(
        &value,
        kind,
        RenderOptions {
            query_active,
            table_transformer,
        },
    )?)
}

/// knack's `_TsvOutput`: one line per item of a list (a non-list is one item). An object
/// gives its values, in sorted key order unless a query built it (then as written); a list
/// gives its items. Inside a line a nested list prints its length, a nested object
/// nothing, null `None`, booleans `True`/`False`; a bare boolean line is `true`/`false`.
fn tsv(value: &Value, sort: bool) -> String {
    let items: Vec<&Value> = match value {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = String::new();
    for item in items {
        match item {
            Value::Object(m) => {
                let values: Vec<&Value> = if sort {
                    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                    entries.sort_by(|a, b| a.0.cmp(b.0));
                    entries.into_iter().map(|(_, v)| v).collect()
                } else {
                    m.values().collect()
                };
                join_tsv(&mut out, values);
            }
            Value::Array(a) => join_tsv(&mut out, a.iter().collect()),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            other => out.push_str(&tsv_cell(other)),
        }
        out.push('\n');
    }
    out
}

fn join_tsv(out: &mut String, values: Vec<&Value>) {
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        out.push_str(&tsv_cell(v));
    }
}

fn tsv_cell(v: &Value) -> String {
    match v {
        Value::Array(a) => a.len().to_string(),
        Value::Object(_) => String::new(),
        other => python_str(other),
    }
}

/// Python's `str()` of a JSON scalar (containers as their `repr`).
fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => number_str(n),
        other => py_value_repr(other),
    }
}

/// Keys the generic table never shows (knack's `SKIP_KEYS`).
const TABLE_SKIP_KEYS: &[&str] = &["id", "type", "etag"];

fn table(value: &Value, options: RenderOptions) -> Result<String, TableUnavailable> {
    let mut value = value.clone();
    let mut transformed = false;
    if let (Some(t), false) = (options.table_transformer, options.query_active) {
        value = apply_transformer(t, &value)?;
        transformed = true;
    }
    let sort = !options.query_active && !transformed;
    let items: Vec<Value> = match value {
        Value::Array(a) => a,
        other => vec![other],
    };
    let rows: Vec<Map<String, Value>> = items.iter().map(|i| table_row(i, sort)).collect();
    let mut text = tabulate_simple(&rows);
    text.push('\n');
    Ok(text)
}

fn apply_transformer(t: TableTransformer, value: &Value) -> Result<Value, TableUnavailable> {
    match t {
        TableTransformer::GroupList => {
            let items = value.as_array().ok_or(TableUnavailable)?;
            let mut out = Vec::with_capacity(items.len());
            for r in items {
                // Python raises KeyError (and az says "Table output unavailable") when a
                // key is missing; a null value is fine.
                let field = |k: &str| r.as_object().and_then(|o| o.get(k)).cloned();
                let name = field("name").ok_or(TableUnavailable)?;
                let location = field("location").ok_or(TableUnavailable)?;
                let status = r
                    .get("properties")
                    .and_then(Value::as_object)
                    .and_then(|p| p.get("provisioningState"))
                    .cloned()
                    .ok_or(TableUnavailable)?;
                let mut row = Map::new();
                row.insert("Name".into(), name);
                row.insert("Location".into(), location);
                row.insert("Status".into(), status);
                out.push(Value::Object(row));
            }
            Ok(Value::Array(out))
        }
    }
}

/// knack's `_auto_table_item`: an object keeps its non-null scalar values (keys other
/// than id/type/etag, first letter upper-cased); a list becomes Column1, Column2, …; any
/// other value is the single column `Result`.
fn table_row(item: &Value, sort: bool) -> Map<String, Value> {
    let mut row = Map::new();
    match item {
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            if sort {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            for (k, v) in entries {
                if TABLE_SKIP_KEYS.contains(&k.as_str()) {
                    continue;
                }
                if v.is_null() || v.is_array() || v.is_object() {
                    continue;
                }
                row.insert(capitalize_first(k), v.clone());
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                row.insert(format!("Column{}", i + 1), v.clone());
            }
        }
        other => {
            row.insert("Result".into(), other.clone());
        }
    }
    row
}

/// Python's `x[0].upper() + x[1:]` (upper-casing one character can give several).
fn capitalize_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `tabulate(rows, headers="keys", tablefmt="simple", disable_numparse=True)`: columns in
/// order of first appearance, every cell left-aligned and stripped, a column as wide as its
/// widest cell and at least its header plus two, `-` rules under the headers, two spaces
/// between columns, trailing spaces removed. Cells with line breaks span several lines.
/// Widths count characters (tabulate without `wcwidth`, as az ships it).
fn tabulate_simple(rows: &[Map<String, Value>]) -> String {
    let mut headers: Vec<&String> = Vec::new();
    for row in rows {
        for k in row.keys() {
            if !headers.contains(&k) {
                headers.push(k);
            }
        }
    }
    if headers.is_empty() {
        return String::new();
    }
    let raw: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            headers
                .iter()
                .map(|h| match row.get(h.as_str()) {
                    None | Some(Value::Null) => String::new(),
                    Some(v) => python_str(v),
                })
                .collect()
        })
        .collect();
    let header_cells: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    // tabulate decides on multi-line layout before stripping the cells.
    let multiline = header_cells
        .iter()
        .chain(raw.iter().flatten())
        .any(|c| c.contains(['\n', '\r']));
    let cells: Vec<Vec<String>> = raw
        .iter()
        .map(|r| r.iter().map(|c| c.trim().to_string()).collect())
        .collect();
    // tabulate measures a multi-line cell on its `\r`/`\n` pieces but lays it out by
    // `str.splitlines()`, which also breaks at `\u2028` and friends.
    let width_of = |s: &str| -> usize {
        if multiline {
            s.split(['\r', '\n'])
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0)
        } else {
            s.chars().count()
        }
    };
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            let cell_max = cells.iter().map(|r| width_of(&r[i])).max().unwrap_or(0);
            cell_max.max(width_of(&header_cells[i]) + 2)
        })
        .collect();
    let pad_right = |text: &str, w: usize| -> String {
        let pad = w.saturating_sub(text.chars().count());
        format!("{text}{}", " ".repeat(pad))
    };
    // The lines of each cell, padded: a data cell line by line (splitlines); a header
    // piece by piece (split at `\r`/`\n`) and only then cut into lines, so a header
    // piece holding `\u2028` leaves its first line unpadded, as tabulate does.
    let layout = |cell: &str, w: usize, header: bool| -> Vec<String> {
        if !multiline {
            return vec![pad_right(cell, w)];
        }
        if header {
            // `re.split(r"\r|\n|\r\n")`: the first alternative wins, so `\r\n` is two breaks.
            let padded: Vec<String> = cell.split(['\r', '\n']).map(|p| pad_right(p, w)).collect();
            split_lines(&padded.join("\n"))
        } else {
            split_lines(cell).iter().map(|l| pad_right(l, w)).collect()
        }
    };

    let mut out: Vec<String> = Vec::new();
    let push_row = |row: &[String], header: bool, out: &mut Vec<String>| {
        let split: Vec<Vec<String>> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| layout(c, *w, header))
            .collect();
        // A multi-line row whose cells are all empty has no lines at all in tabulate.
        let height = split.iter().map(Vec::len).max().unwrap_or(0);
        for line in 0..height {
            let parts: Vec<String> = split
                .iter()
                .zip(&widths)
                .map(|(cell_lines, w)| match cell_lines.get(line) {
                    Some(text) => text.clone(),
                    None => " ".repeat(*w),
                })
                .collect();
            out.push(parts.join("  ").trim_end().to_string());
        }
    };
    push_row(&header_cells, true, &mut out);
    out.push(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  "),
    );
    for row in &cells {
        push_row(row, false, &mut out);
    }
    out.join("\n")
}

/// Python's `str.splitlines()` for the breaks a JSON string can hold.
fn split_lines(s: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut current));
            }
            '\n' | '\u{b}' | '\u{c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => lines.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// az's global result transform (azure-cli `commands/transform.py`), applied to every
/// command result before `--query`: an object with a truthy `id` of the form
/// `/subscriptions/…/resourceGroups/<rg>/…` with at least nine segments and no
/// `resourceGroup` key (in any case) gains `resourceGroup: <rg>`, recursively, except
/// under `sourceVault`. Resource group ids themselves are too short and gain nothing.
pub fn add_resource_group(value: &Value) -> Value {
    let mut v = value.clone();
    add_rg_in_place(&mut v);
    v
}

fn add_rg_in_place(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(add_rg_in_place),
        Value::Object(m) => {
            let has_rg = m.keys().any(|k| k.to_lowercase() == "resourcegroup");
            if !has_rg {
                if let Some(Value::String(id)) = m.get("id") {
                    let parts: Vec<&str> = id.split('/').collect();
                    if parts.len() > 8 && parts[3].to_lowercase() == "resourcegroups" {
                        let rg = parts[4].to_string();
                        m.insert("resourceGroup".into(), Value::String(rg));
                    }
                }
            }
            for (k, item) in m.iter_mut() {
                if k != "sourceVault" {
                    add_rg_in_place(item);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn output_kind_parses_like_az() {
        assert_eq!("TSV".parse::<OutputKind>().unwrap(), OutputKind::Tsv);
        assert_eq!("yamlc".parse::<OutputKind>().unwrap(), OutputKind::Yamlc);
        let err = "Xml".parse::<OutputKind>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "argument --output/-o: invalid choice: 'xml' (choose from 'json', 'jsonc', 'yaml', 'yamlc', 'table', 'tsv', 'none')"
        );
        for k in OutputKind::ALL {
            assert_eq!(k.as_str().parse::<OutputKind>().unwrap(), k);
        }
        assert_eq!(OutputKind::Jsonc.for_terminal(false), OutputKind::Json);
        assert_eq!(OutputKind::Jsonc.for_terminal(true), OutputKind::Jsonc);
    }

    #[test]
    fn null_prints_nothing() {
        for k in OutputKind::ALL {
            assert_eq!(render(&Value::Null, k), "", "{k}");
        }
    }

    #[test]
    fn group_transformer_needs_its_keys() {
        let opts = RenderOptions {
            query_active: false,
            table_transformer: Some(TableTransformer::GroupList),
        };
        assert_eq!(
            render_with(&json!([{"name": "g"}]), OutputKind::Table, opts),
            Err(TableUnavailable)
        );
        assert_eq!(
            render_with(&json!({"name": "g"}), OutputKind::Table, opts),
            Err(TableUnavailable)
        );
    }

    #[test]
    fn empty_list_table_is_a_blank_line() {
        assert_eq!(render(&json!([]), OutputKind::Table), "\n");
        assert_eq!(render(&json!([]), OutputKind::Tsv), "");
        assert_eq!(render(&json!([]), OutputKind::Json), "[]\n");
    }

    #[test]
    fn az_output_applies_the_resource_group_transform() {
        let storage = json!({"id": "/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa", "name": "sa"});
        assert_eq!(
            az_output(&storage, Some("resourceGroup"), OutputKind::Tsv, None).unwrap(),
            "rg1\n"
        );
        let group = json!({"id": "/subscriptions/s/resourceGroups/rg1", "name": "rg1"});
        assert_eq!(
            az_output(&group, Some("resourceGroup"), OutputKind::Json, None).unwrap(),
            ""
        );
    }

    #[test]
    fn resource_group_transform() {
        let v = json!({"id": "/subscriptions/s/resourceGroups/rg", "nested": [
            {"id": "/subscriptions/s/resourceGroups/rg2/providers/P/t/n"},
            {"id": "/subscriptions/s/resourceGroups/rg2/providers/P/t/n", "ResourceGroup": "x"}],
            "sourceVault": {"id": "/subscriptions/s/resourceGroups/rg3/providers/P/t/n"}});
        let out = add_resource_group(&v);
        assert!(out.get("resourceGroup").is_none());
        assert_eq!(out["nested"][0]["resourceGroup"], "rg2");
        assert!(out["nested"][1].get("resourceGroup").is_none());
        assert!(out["sourceVault"].get("resourceGroup").is_none());
    }
}
