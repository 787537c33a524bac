//! `--query`: JMESPath over the command's result, as az evaluates it.
//!
//! Why this shape: az (knack) runs Python's `jmespath` with `Options(OrderedDict)`, so a
//! multi-select hash `{name:name, loc:location}` keeps the order it was written in, and that
//! order is what `-o table` and `-o tsv` print (JSON and YAML sort keys anyway).
//! - The `jmespath` crate (the JMESPath project's Rust implementation) parses exactly the
//!   standard grammar that Python's `jmespath` accepts, but evaluates into its own `Variable`
//!   whose objects are `BTreeMap`s: every object comes out with sorted keys, and the
//!   written order of a multi-select hash is lost.
//! - `jmespath_community` (with `preserve_order`) keeps the order but implements the
//!   community edition's grammar, a superset (arithmetic, `let`, …) az rejects, and 0.1.2
//!   lacks half of the standard functions (`sort_by`, `join`, `max`, `to_string`, …).
//!
//! So we take the `jmespath` crate's parser (same grammar, same syntax errors as az) and
//! evaluate its AST ourselves over `serde_json::Value` (`preserve_order`), following Python
//! `jmespath`'s evaluation rules and error texts.

use std::cmp::Ordering;

use jmespath::ast::{Ast, Comparator};
use serde_json::{Map, Number, Value};

use super::json::python_float_repr;

/// A `--query` that az would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The expression does not parse: az's argparse message for `--query`
    /// (`argument --query: invalid jmespath_type value: '<expr>'`).
    #[error("argument --query: invalid jmespath_type value: {}", python_repr(.expression))]
    Invalid {
        /// The expression as given.
        expression: String,
        /// What the parser found wrong (not part of az's message; for logs and debugging).
        detail: String,
    },
    /// The expression parses but fails on this value (a function called with the wrong
    /// types or number of arguments, an unknown function): Python `jmespath`'s message.
    #[error("{0}")]
    Runtime(String),
}

/// Evaluates `expr` over `value` as `az … --query expr` does. A result of `null` means az
/// prints nothing at all (see [`super::render`]).
pub fn query(value: &Value, expr: &str) -> Result<Value, QueryError> {
    let compiled = compile(expr)?;
    eval(&python_shape(compiled.as_ast()), value)
}

/// Parses without evaluating: what az does while reading its arguments, before any request.
pub fn check_query(expr: &str) -> Result<(), QueryError> {
    compile(expr).map(|_| ())
}

fn compile(expr: &str) -> Result<jmespath::Expression<'static>, QueryError> {
    jmespath::compile(&legacy_literals(expr)).map_err(|e| QueryError::Invalid {
        expression: expr.to_string(),
        detail: e.to_string(),
    })
}

/// Python `jmespath` still reads a backtick literal that is not JSON as a string
/// (`[?name==`ws1`]`, the deprecated JEP-12 form az documentation shows): the text, left
/// spaces removed, taken as the inside of a JSON string. The `jmespath` crate refuses it,
/// so such literals are rewritten to their JSON-string form first.
fn legacy_literals(expr: &str) -> std::borrow::Cow<'_, str> {
    if !expr.contains('`') {
        return std::borrow::Cow::Borrowed(expr);
    }
    let chars: Vec<char> = expr.chars().collect();
    let mut out = String::with_capacity(expr.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            // Raw strings and quoted identifiers: copied as they are, escapes included.
            '\'' | '"' => {
                out.push(c);
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        out.push(chars[i]);
                        i += 1;
                    }
                    out.push(chars[i]);
                    i += 1;
                }
                if i < chars.len() {
                    out.push(chars[i]);
                    i += 1;
                }
            }
            '`' => {
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && chars[j] != '`' {
                    if chars[j] == '\\' && j + 1 < chars.len() && chars[j + 1] == '`' {
                        j += 1;
                    }
                    j += 1;
                }
                let raw: String = chars[start..j.min(chars.len())].iter().collect();
                let lexeme = raw.replace("\\`", "`");
                let as_string = serde_json::from_str::<Value>(&lexeme).err().and_then(|_| {
                    serde_json::from_str::<String>(&format!("\"{}\"", lexeme.trim_start())).ok()
                });
                out.push('`');
                match as_string {
                    Some(s) => out.push_str(
                        &serde_json::to_string(&s)
                            .expect("a string serializes")
                            .replace('`', "\\`"),
                    ),
                    None => out.push_str(&raw),
                }
                if j < chars.len() {
                    out.push('`');
                }
                i = j + 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Python's `repr()` of a `str`: single quotes unless the text has `'` and no `"`;
/// backslash, the quote in use and non-printable characters escaped.
pub(crate) fn python_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !python_printable(c) => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable()` for one character: not a control, format, separator
/// (other than the space) or private-use character. Unassigned code points, which Python
/// also escapes, are not known here and print as they are.
fn python_printable(c: char) -> bool {
    let n = c as u32;
    !(n < 0x20
        || (0x7f..0xa1).contains(&n)
        || n == 0xad
        || (0x600..=0x605).contains(&n)
        || n == 0x61c
        || n == 0x6dd
        || n == 0x70f
        || n == 0x1680
        || n == 0x180e
        || (0x2000..=0x200f).contains(&n)
        || (0x2028..=0x202f).contains(&n)
        || (0x205f..=0x2064).contains(&n)
        || (0x2066..=0x206f).contains(&n)
        || n == 0x3000
        || (0xe000..=0xf8ff).contains(&n)
        || n == 0xfeff
        || (0xfff9..=0xfffb).contains(&n)
        || (0xf0000..=0x10ffff).contains(&n))
}

type EvalResult = Result<Value, QueryError>;

/// One arm per node of the JMESPath grammar, side by side so that each can be read against
/// the specification's evaluation rules; the arms that grow (functions, comparisons) call out.
fn eval(ast: &Ast, data: &Value) -> EvalResult {
    match ast {
        Ast::Identity { .. } => Ok(data.clone()),
        Ast::Field { name, .. } => Ok(data.get(name.as_str()).cloned().unwrap_or(Value::Null)),
        Ast::Index { idx, .. } => Ok(match data {
            Value::Array(items) => {
                let len = items.len() as i64;
                let i = if *idx < 0 {
                    len + *idx as i64
                } else {
                    *idx as i64
                };
                if (0..len).contains(&i) {
                    items[i as usize].clone()
                } else {
                    Value::Null
                }
            }
            _ => Value::Null,
        }),
        Ast::Literal { value, .. } => Ok(serde_json::to_value(&**value).unwrap_or(Value::Null)),
        Ast::Subexpr { lhs, rhs, .. } => {
            let left = eval(lhs, data)?;
            eval(rhs, &left)
        }
        Ast::Projection { lhs, rhs, .. } => {
            let left = eval(lhs, data)?;
            match left {
                Value::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in &items {
                        let v = eval(rhs, item)?;
                        if !v.is_null() {
                            out.push(v);
                        }
                    }
                    Ok(Value::Array(out))
                }
                _ => Ok(Value::Null),
            }
        }
        Ast::ObjectValues { node, .. } => Ok(match eval(node, data)? {
            Value::Object(m) => Value::Array(m.into_iter().map(|(_, v)| v).collect()),
            _ => Value::Null,
        }),
        Ast::Flatten { node, .. } => Ok(match eval(node, data)? {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::Array(inner) => out.extend(inner),
                        other => out.push(other),
                    }
                }
                Value::Array(out)
            }
            _ => Value::Null,
        }),
        Ast::Slice {
            start, stop, step, ..
        } => match data {
            Value::Array(items) => slice(items, *start, *stop, *step).map(Value::Array),
            _ => Ok(Value::Null),
        },
        Ast::Condition {
            predicate, then, ..
        } => {
            if truthy(&eval(predicate, data)?) {
                eval(then, data)
            } else {
                Ok(Value::Null)
            }
        }
        Ast::Comparison {
            comparator,
            lhs,
            rhs,
            ..
        } => {
            let a = eval(lhs, data)?;
            let b = eval(rhs, data)?;
            compare(comparator, &a, &b)
        }
        Ast::Not { node, .. } => Ok(Value::Bool(!truthy(&eval(node, data)?))),
        Ast::And { lhs, rhs, .. } => {
            let left = eval(lhs, data)?;
            if truthy(&left) {
                eval(rhs, data)
            } else {
                Ok(left)
            }
        }
        Ast::Or { lhs, rhs, .. } => {
            let left = eval(lhs, data)?;
            if truthy(&left) {
                Ok(left)
            } else {
                eval(rhs, data)
            }
        }
        Ast::MultiList { elements, .. } => {
            if data.is_null() {
                return Ok(Value::Null);
            }
            elements
                .iter()
                .map(|e| eval(e, data))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        Ast::MultiHash { elements, .. } => {
            if data.is_null() {
                return Ok(Value::Null);
            }
            // Written order, as Python's OrderedDict keeps it.
            let mut out = Map::new();
            for kv in elements {
                out.insert(kv.key.clone(), eval(&kv.value, data)?);
            }
            Ok(Value::Object(out))
        }
        Ast::Function { name, args, .. } => call(name, args, data),
        // An expression reference only means something as a function argument; Python
        // `jmespath` evaluates a bare `&foo` to an internal object az cannot print.
        Ast::Expref { .. } => Ok(Value::Null),
    }
}

/// One place where the `jmespath` crate's parser groups differently from Python
/// `jmespath`: in Python a multi-select hash reached by a dot (`[*].{x: a}`) ends the
/// projection's right-hand side, so what follows (`.x`, `[?p]`, `.*`, `[0]`) applies to the
/// projection's result; the crate keeps it inside the projection. Rewrite
/// `Projection(L, ops(H))` (H the left-most node of the right-hand side) into
/// `ops(Projection(L, H))`, recursively, to get Python's tree.
fn python_shape(ast: &Ast) -> Ast {
    let b = |a: &Ast| Box::new(python_shape(a));
    match ast {
        Ast::Projection { offset, lhs, rhs } => {
            let lhs = b(lhs);
            let rhs = python_shape(rhs);
            if !matches!(rhs, Ast::MultiHash { .. }) && leftmost_is_multihash(&rhs) {
                replace_leftmost(rhs, &mut |h| Ast::Projection {
                    offset: *offset,
                    lhs: lhs.clone(),
                    rhs: Box::new(h),
                })
            } else {
                Ast::Projection {
                    offset: *offset,
                    lhs,
                    rhs: Box::new(rhs),
                }
            }
        }
        Ast::Subexpr { offset, lhs, rhs } => Ast::Subexpr {
            offset: *offset,
            lhs: b(lhs),
            rhs: b(rhs),
        },
        Ast::Comparison {
            offset,
            comparator,
            lhs,
            rhs,
        } => Ast::Comparison {
            offset: *offset,
            comparator: comparator.clone(),
            lhs: b(lhs),
            rhs: b(rhs),
        },
        Ast::Condition {
            offset,
            predicate,
            then,
        } => Ast::Condition {
            offset: *offset,
            predicate: b(predicate),
            then: b(then),
        },
        Ast::Expref { offset, ast } => Ast::Expref {
            offset: *offset,
            ast: b(ast),
        },
        Ast::Flatten { offset, node } => Ast::Flatten {
            offset: *offset,
            node: b(node),
        },
        Ast::ObjectValues { offset, node } => Ast::ObjectValues {
            offset: *offset,
            node: b(node),
        },
        Ast::Not { offset, node } => Ast::Not {
            offset: *offset,
            node: b(node),
        },
        Ast::And { offset, lhs, rhs } => Ast::And {
            offset: *offset,
            lhs: b(lhs),
            rhs: b(rhs),
        },
        Ast::Or { offset, lhs, rhs } => Ast::Or {
            offset: *offset,
            lhs: b(lhs),
            rhs: b(rhs),
        },
        Ast::Function { offset, name, args } => Ast::Function {
            offset: *offset,
            name: name.clone(),
            args: args.iter().map(python_shape).collect(),
        },
        Ast::MultiList { offset, elements } => Ast::MultiList {
            offset: *offset,
            elements: elements.iter().map(python_shape).collect(),
        },
        Ast::MultiHash { offset, elements } => Ast::MultiHash {
            offset: *offset,
            elements: elements
                .iter()
                .map(|kv| jmespath::ast::KeyValuePair {
                    key: kv.key.clone(),
                    value: python_shape(&kv.value),
                })
                .collect(),
        },
        other => other.clone(),
    }
}

/// The node evaluated first, following the operand that each postfix operation applies to.
fn leftmost_is_multihash(ast: &Ast) -> bool {
    match ast {
        Ast::MultiHash { .. } => true,
        Ast::Subexpr { lhs, .. } | Ast::Projection { lhs, .. } => leftmost_is_multihash(lhs),
        Ast::ObjectValues { node, .. } | Ast::Flatten { node, .. } => leftmost_is_multihash(node),
        _ => false,
    }
}

fn replace_leftmost(ast: Ast, f: &mut dyn FnMut(Ast) -> Ast) -> Ast {
    match ast {
        Ast::Subexpr { offset, lhs, rhs } => Ast::Subexpr {
            offset,
            lhs: Box::new(replace_leftmost(*lhs, f)),
            rhs,
        },
        Ast::Projection { offset, lhs, rhs } => Ast::Projection {
            offset,
            lhs: Box::new(replace_leftmost(*lhs, f)),
            rhs,
        },
        Ast::ObjectValues { offset, node } => Ast::ObjectValues {
            offset,
            node: Box::new(replace_leftmost(*node, f)),
        },
        Ast::Flatten { offset, node } => Ast::Flatten {
            offset,
            node: Box::new(replace_leftmost(*node, f)),
        },
        leaf => f(leaf),
    }
}

/// Python's list slicing, which `jmespath` uses.
fn slice(
    items: &[Value],
    start: Option<i32>,
    stop: Option<i32>,
    step: i32,
) -> Result<Vec<Value>, QueryError> {
    if step == 0 {
        return Err(QueryError::Runtime("slice step cannot be zero".into()));
    }
    let len = items.len() as i64;
    let step = step as i64;
    let clamp = |v: Option<i32>, default: i64| -> i64 {
        match v {
            None => default,
            Some(v) => {
                let v = v as i64;
                if v < 0 {
                    let v = v + len;
                    if v < 0 {
                        if step < 0 {
                            -1
                        } else {
                            0
                        }
                    } else {
                        v
                    }
                } else if v >= len {
                    if step < 0 {
                        len - 1
                    } else {
                        len
                    }
                } else {
                    v
                }
            }
        }
    };
    let (start, stop) = if step > 0 {
        (clamp(start, 0), clamp(stop, len))
    } else {
        (clamp(start, len - 1), clamp(stop, -1))
    };
    let mut out = Vec::new();
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        out.push(items[i as usize].clone());
        i += step;
    }
    Ok(out)
}

/// JMESPath truthiness: false, null, empty string/array/object are false; numbers (even 0)
/// are true.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Number(_) => true,
    }
}

/// `==` as Python `jmespath` evaluates it: Python's `==`, except that at the top level a
/// boolean never equals the number 0 or 1 (nested, `[1] == [true]` holds, as in Python).
fn equal(a: &Value, b: &Value) -> bool {
    let zero_or_one = |n: &Number| n.as_f64().is_some_and(|f| f == 0.0 || f == 1.0);
    match (a, b) {
        (Value::Bool(_), Value::Number(n)) | (Value::Number(n), Value::Bool(_))
            if zero_or_one(n) =>
        {
            false
        }
        _ => py_eq(a, b),
    }
}

/// Python's `==` on JSON values: `True == 1`, `1 == 1.0`, containers element-wise.
fn py_eq(a: &Value, b: &Value) -> bool {
    let as_num = |v: &Value| match v {
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    };
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_eq(x, y),
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Bool(_), Value::Number(n)) | (Value::Number(n), Value::Bool(_)) => {
            n.as_f64() == as_num(a).or(as_num(b))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => a == b,
    }
}

fn num_eq(x: &Number, y: &Number) -> bool {
    match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
        (Some(p), Some(q), _, _) => p == q,
        (_, _, Some(p), Some(q)) => p == q,
        _ => x.as_f64() == y.as_f64(),
    }
}

fn compare(op: &Comparator, a: &Value, b: &Value) -> EvalResult {
    match op {
        Comparator::Equal => Ok(Value::Bool(equal(a, b))),
        Comparator::NotEqual => Ok(Value::Bool(!equal(a, b))),
        _ => {
            // Python `jmespath` orders numbers (not booleans) and strings; any other
            // operand gives null, and a number against a string is Python's TypeError.
            let comparable = |v: &Value| v.is_number() || v.is_string();
            if !comparable(a) || !comparable(b) {
                return Ok(Value::Null);
            }
            if a.is_string() != b.is_string() {
                let symbol = match op {
                    Comparator::LessThan => "<",
                    Comparator::LessThanEqual => "<=",
                    Comparator::GreaterThan => ">",
                    _ => ">=",
                };
                return Err(QueryError::Runtime(format!(
                    "'{symbol}' not supported between instances of '{}' and '{}'",
                    python_type(a),
                    python_type(b)
                )));
            }
            let ord = order(a, b);
            Ok(Value::Bool(match op {
                Comparator::LessThan => ord == Ordering::Less,
                Comparator::LessThanEqual => ord != Ordering::Greater,
                Comparator::GreaterThan => ord == Ordering::Greater,
                Comparator::GreaterThanEqual => ord != Ordering::Less,
                Comparator::Equal | Comparator::NotEqual => unreachable!(),
            }))
        }
    }
}

/// The JMESPath type names Python `jmespath` uses in its messages.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Python's `repr` of the JSON value, as `jmespath` puts it in type errors.
pub(crate) fn py_value_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => number_str(n),
        Value::String(s) => python_repr(s),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(py_value_repr).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", python_repr(k), py_value_repr(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// `str()` of a number as Python prints it (floats as `repr`).
pub(crate) fn number_str(n: &Number) -> String {
    if n.is_f64() {
        n.as_f64()
            .map(python_float_repr)
            .unwrap_or_else(|| n.to_string())
    } else {
        n.to_string()
    }
}

fn plural_arguments(n: usize) -> &'static str {
    if n == 1 {
        "argument"
    } else {
        "arguments"
    }
}

/// Python's type name, for the messages of Python's own errors.
fn python_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// The error Python `jmespath` raises for an argument `kind` refuses: the argument itself
/// when its own type is wrong; for a typed array, the first element of the wrong type,
/// with its Python type name (`bool`, `NoneType` …), the type of the first element
/// deciding between numbers and strings.
fn arg_type_error(func: &str, v: &Value, kind: Arg) -> QueryError {
    let element_kinds: &[fn(&Value) -> bool] = match kind {
        Arg::ArrayNumber => &[Value::is_number],
        Arg::ArrayString => &[Value::is_string],
        Arg::ArrayNumberOrString | Arg::ArrayStringOrNumber => {
            &[Value::is_number, Value::is_string]
        }
        _ => &[],
    };
    let Some(items) = v.as_array().filter(|_| !element_kinds.is_empty()) else {
        return type_error(func, v, kind.names());
    };
    let check: fn(&Value) -> bool = if element_kinds.len() == 1 {
        element_kinds[0]
    } else {
        match items.first() {
            Some(first) if first.is_number() => Value::is_number,
            Some(first) if first.is_string() => Value::is_string,
            Some(first) => return element_type_error(func, first, kind.names()),
            None => return type_error(func, v, kind.names()),
        }
    };
    match items.iter().find(|e| !check(e)) {
        Some(bad) => element_type_error(func, bad, kind.names()),
        None => type_error(func, v, kind.names()),
    }
}

fn element_type_error(func: &str, v: &Value, expected: &[&str]) -> QueryError {
    let expected: Vec<String> = expected.iter().map(|t| format!("'{t}'")).collect();
    let shown = match v {
        Value::String(s) => s.clone(),
        other => py_value_repr(other),
    };
    QueryError::Runtime(format!(
        "In function {func}(), invalid type for value: {shown}, expected one of: [{}], received: \"{}\"",
        expected.join(", "),
        python_type(v)
    ))
}

/// Python `jmespath` formats the value with `%s`: a string bare, anything else as `repr`.
fn type_error(func: &str, v: &Value, expected: &[&str]) -> QueryError {
    let expected: Vec<String> = expected.iter().map(|t| format!("'{t}'")).collect();
    let shown = match v {
        Value::String(s) => s.clone(),
        other => py_value_repr(other),
    };
    QueryError::Runtime(format!(
        "In function {func}(), invalid type for value: {}, expected one of: [{}], received: \"{}\"",
        shown,
        expected.join(", "),
        type_name(v)
    ))
}

/// The argument kinds of the standard functions.
#[derive(Clone, Copy)]
enum Arg {
    Any,
    Number,
    String,
    Array,
    Object,
    Expref,
    ArrayNumber,
    ArrayString,
    ArrayOrString,
    StringArrayObject,
    ArrayNumberOrString,
    /// The same as `ArrayNumberOrString`, named the other way round in `sort`'s messages.
    ArrayStringOrNumber,
}

impl Arg {
    fn names(self) -> &'static [&'static str] {
        match self {
            Arg::Any => &[],
            Arg::Number => &["number"],
            Arg::String => &["string"],
            Arg::Array => &["array"],
            Arg::Object => &["object"],
            Arg::Expref => &["expref"],
            Arg::ArrayNumber => &["array-number"],
            Arg::ArrayString => &["array-string"],
            Arg::ArrayOrString => &["array", "string"],
            Arg::StringArrayObject => &["string", "array", "object"],
            Arg::ArrayNumberOrString => &["array-number", "array-string"],
            Arg::ArrayStringOrNumber => &["array-string", "array-number"],
        }
    }

    fn accepts(self, v: &Value) -> bool {
        let all = |f: fn(&Value) -> bool| v.as_array().is_some_and(|a| a.iter().all(f));
        match self {
            Arg::Any => true,
            Arg::Number => v.is_number(),
            Arg::String => v.is_string(),
            Arg::Array => v.is_array(),
            Arg::Object => v.is_object(),
            Arg::Expref => false,
            Arg::ArrayNumber => all(Value::is_number),
            Arg::ArrayString => all(Value::is_string),
            Arg::ArrayOrString => v.is_array() || v.is_string(),
            Arg::StringArrayObject => v.is_string() || v.is_array() || v.is_object(),
            Arg::ArrayNumberOrString | Arg::ArrayStringOrNumber => {
                all(Value::is_number) || all(Value::is_string)
            }
        }
    }
}

/// Signature: fixed kinds, and whether the last one repeats (`merge`, `not_null`).
fn signature(name: &str) -> Option<(&'static [Arg], bool)> {
    use Arg::*;
    Some(match name {
        "abs" | "ceil" | "floor" => (&[Number], false),
        "avg" | "sum" => (&[ArrayNumber], false),
        "contains" => (&[ArrayOrString, Any], false),
        "ends_with" | "starts_with" => (&[String, String], false),
        "join" => (&[String, ArrayString], false),
        "keys" | "values" => (&[Object], false),
        "length" => (&[StringArrayObject], false),
        "map" => (&[Expref, Array], false),
        "max" | "min" => (&[ArrayNumberOrString], false),
        "sort" => (&[ArrayStringOrNumber], false),
        "max_by" | "min_by" | "sort_by" => (&[Array, Expref], false),
        "merge" => (&[Object], true),
        "not_null" => (&[Any], true),
        "reverse" => (&[ArrayOrString], false),
        "to_array" | "to_number" | "to_string" | "type" => (&[Any], false),
        _ => return None,
    })
}

fn call(name: &str, args: &[Ast], data: &Value) -> EvalResult {
    let Some((kinds, variadic)) = signature(name) else {
        return Err(QueryError::Runtime(format!("Unknown function: {name}()")));
    };
    check_arity(name, kinds, variadic, args.len())?;
    let (values, exprefs) = evaluated_arguments(name, kinds, args, data)?;
    apply(name, values, &exprefs)
}

/// Python `jmespath`'s arity errors, word for word.
fn check_arity(name: &str, kinds: &[Arg], variadic: bool, given: usize) -> Result<(), QueryError> {
    if variadic {
        if given < kinds.len() {
            return Err(QueryError::Runtime(format!(
                "Expected at least {} {} for function {name}(), received {}",
                kinds.len(),
                plural_arguments(kinds.len()),
                given
            )));
        }
    } else if given != kinds.len() {
        return Err(QueryError::Runtime(format!(
            "Expected {} {} for function {name}(), received {}",
            kinds.len(),
            plural_arguments(kinds.len()),
            given
        )));
    }
    Ok(())
}

/// Every argument evaluated and type-checked, in order; expression references stay
/// unevaluated (a `Null` holds their place in the values).
fn evaluated_arguments<'a>(
    name: &str,
    kinds: &[Arg],
    args: &'a [Ast],
    data: &Value,
) -> Result<(Vec<Value>, Vec<&'a Ast>), QueryError> {
    let mut values = Vec::with_capacity(args.len());
    let mut exprefs = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        let kind = kinds[i.min(kinds.len() - 1)];
        if let Arg::Expref = kind {
            match arg {
                Ast::Expref { ast, .. } => exprefs.push(&**ast),
                other => {
                    let v = eval(other, data)?;
                    return Err(type_error(name, &v, kind.names()));
                }
            }
            values.push(Value::Null);
        } else {
            let v = eval(arg, data)?;
            if !kind.accepts(&v) {
                return Err(arg_type_error(name, &v, kind));
            }
            values.push(v);
        }
    }
    Ok((values, exprefs))
}

/// The function itself, its arguments checked.
fn apply(name: &str, values: Vec<Value>, exprefs: &[&Ast]) -> EvalResult {
    match name {
        "abs" | "ceil" | "floor" | "avg" | "sum" => numeric(name, &values[0]),
        "contains" => Ok(Value::Bool(match &values[0] {
            // Python's `in`, so `contains([true], `1`)` holds.
            Value::Array(items) => items.iter().any(|i| py_eq(i, &values[1])),
            Value::String(s) => match &values[1] {
                Value::String(needle) => s.contains(needle.as_str()),
                // Python's `x in str` raises for a non-string x.
                other => {
                    return Err(QueryError::Runtime(format!(
                        "'in <string>' requires string as left operand, not {}",
                        python_type(other)
                    )));
                }
            },
            _ => unreachable!("checked"),
        })),
        "ends_with" => Ok(Value::Bool(
            str_of(&values[0]).ends_with(str_of(&values[1])),
        )),
        "starts_with" => Ok(Value::Bool(
            str_of(&values[0]).starts_with(str_of(&values[1])),
        )),
        "join" => {
            let parts: Vec<&str> = values[1]
                .as_array()
                .expect("checked")
                .iter()
                .map(str_of)
                .collect();
            Ok(Value::String(parts.join(str_of(&values[0]))))
        }
        "keys" => Ok(Value::Array(
            values[0]
                .as_object()
                .expect("checked")
                .keys()
                .map(|k| Value::String(k.clone()))
                .collect(),
        )),
        "values" => Ok(Value::Array(
            values[0]
                .as_object()
                .expect("checked")
                .values()
                .cloned()
                .collect(),
        )),
        "length" => Ok(Value::from(match &values[0] {
            Value::String(s) => s.chars().count(),
            Value::Array(a) => a.len(),
            Value::Object(o) => o.len(),
            _ => unreachable!("checked"),
        })),
        "map" => {
            let items = values[1].as_array().expect("checked");
            items
                .iter()
                .map(|i| eval(exprefs[0], i))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        "max" | "min" => Ok(extreme(name, values[0].as_array().expect("checked"))),
        "sort" => {
            let mut items = values[0].as_array().expect("checked").clone();
            items.sort_by(order);
            Ok(Value::Array(items))
        }
        "sort_by" => sort_by(values[0].as_array().expect("checked"), exprefs[0]),
        "max_by" | "min_by" => extreme_by(name, values[0].as_array().expect("checked"), exprefs[0]),
        "merge" => {
            let mut out = Map::new();
            for v in &values {
                for (k, item) in v.as_object().expect("checked") {
                    out.insert(k.clone(), item.clone());
                }
            }
            Ok(Value::Object(out))
        }
        "not_null" => Ok(values
            .into_iter()
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null)),
        "reverse" => Ok(match &values[0] {
            Value::Array(a) => Value::Array(a.iter().rev().cloned().collect()),
            Value::String(s) => Value::String(s.chars().rev().collect()),
            _ => unreachable!("checked"),
        }),
        "to_array" => Ok(match &values[0] {
            Value::Array(_) => values[0].clone(),
            other => Value::Array(vec![other.clone()]),
        }),
        "to_number" => Ok(match &values[0] {
            Value::Number(_) => values[0].clone(),
            Value::String(s) => parse_python_number(s),
            _ => Value::Null,
        }),
        "to_string" => Ok(match &values[0] {
            Value::String(_) => values[0].clone(),
            other => Value::String(compact_ascii_json(other)),
        }),
        "type" => Ok(Value::String(type_name(&values[0]).into())),
        _ => unreachable!("every function with a signature is implemented"),
    }
}

/// `abs`, `ceil`, `floor`, `avg`, `sum`, with Python's int/float distinctions.
fn numeric(name: &str, value: &Value) -> EvalResult {
    let num = |v: &Value| v.as_f64().unwrap_or(0.0);
    let values = std::slice::from_ref(value);
    match name {
        "abs" => Ok(match values[0].as_i64() {
            Some(i) => Value::from(i.unsigned_abs()),
            None => float(num(&values[0]).abs()),
        }),
        "ceil" | "floor" => {
            let v = &values[0];
            if v.is_i64() || v.is_u64() {
                return Ok(v.clone());
            }
            let f = num(v);
            let r = if name == "ceil" { f.ceil() } else { f.floor() };
            // Python's math.ceil/floor return an int.
            Ok(if r.abs() < 9.0e15 {
                Value::from(r as i64)
            } else {
                float(r)
            })
        }
        "avg" => {
            let items = values[0].as_array().expect("checked");
            if items.is_empty() {
                return Ok(Value::Null);
            }
            Ok(float(
                items.iter().map(num).sum::<f64>() / items.len() as f64,
            ))
        }
        "sum" => {
            let items = values[0].as_array().expect("checked");
            if items.iter().all(|v| v.is_i64()) {
                let total: Option<i64> = items
                    .iter()
                    .try_fold(0i64, |acc, v| acc.checked_add(v.as_i64()?));
                if let Some(t) = total {
                    return Ok(Value::from(t));
                }
            }
            Ok(float(items.iter().map(num).sum()))
        }
        _ => unreachable!("only the numeric functions come here"),
    }
}

/// `max` / `min` of numbers or of strings (`Null` for an empty array).
fn extreme(name: &str, items: &[Value]) -> Value {
    let want = if name == "max" {
        Ordering::Greater
    } else {
        Ordering::Less
    };
    let mut best: Option<&Value> = None;
    for item in items {
        if best.is_none_or(|b| order(item, b) == want) {
            best = Some(item);
        }
    }
    best.cloned().unwrap_or(Value::Null)
}

/// `sort_by`: the key type fixed by the first element, as Python `jmespath` does; stable.
fn sort_by(items: &[Value], key_expr: &Ast) -> EvalResult {
    let Some(first) = items.first() else {
        return Ok(Value::Array(Vec::new()));
    };
    // Python `jmespath` fixes the key type from the first element.
    let kind = type_name(&eval(key_expr, first)?);
    if kind != "number" && kind != "string" {
        // Python shows the first element but names the type of its key.
        let shown = match first {
            Value::String(s) => s.clone(),
            other => py_value_repr(other),
        };
        return Err(QueryError::Runtime(format!(
            "In function sort_by(), invalid type for value: {shown}, expected one of: ['string', 'number'], received: \"{kind}\""
        )));
    }
    let mut keyed = Vec::with_capacity(items.len());
    for item in items {
        let key = eval(key_expr, item)?;
        if type_name(&key) != kind {
            return Err(type_error("sort_by", &key, &[kind]));
        }
        keyed.push((key, item));
    }
    // Stable, as Python's sorted().
    keyed.sort_by(|a, b| order(&a.0, &b.0));
    Ok(Value::Array(
        keyed.into_iter().map(|(_, v)| v.clone()).collect(),
    ))
}

/// `max_by` / `min_by`: keys that are all numbers or all strings.
fn extreme_by(name: &str, items: &[Value], key_expr: &Ast) -> EvalResult {
    let want = if name == "max_by" {
        Ordering::Greater
    } else {
        Ordering::Less
    };
    let mut best: Option<(Value, &Value)> = None;
    for item in items {
        let key = eval(key_expr, item)?;
        if !key.is_number() && !key.is_string() {
            return Err(type_error(name, &key, &["number", "string"]));
        }
        if let Some((b, _)) = &best {
            if type_name(b) != type_name(&key) {
                // Python's max() comparing a str with a number.
                return Err(QueryError::Runtime(format!(
                    "'<' not supported between instances of '{}' and '{}'",
                    python_type(&key),
                    python_type(b)
                )));
            }
        }
        if best.as_ref().is_none_or(|(b, _)| order(&key, b) == want) {
            best = Some((key, item));
        }
    }
    Ok(best.map(|(_, v)| v.clone()).unwrap_or(Value::Null))
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn float(f: f64) -> Value {
    Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Order of two numbers or two strings (callers have checked the kinds). Python compares
/// strings by code point, which is UTF-8 byte order.
fn order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => a
            .as_f64()
            .partial_cmp(&b.as_f64())
            .unwrap_or(Ordering::Equal),
    }
}

/// `to_number` on a string: Python `jmespath` tries `int()` unless the text has a `.`,
/// else `float()`; text that is neither gives null.
fn parse_python_number(s: &str) -> Value {
    let t = s.trim();
    if !t.contains('.') {
        if let Ok(i) = t.replace('_', "").parse::<i64>() {
            if !t.starts_with('_') && !t.ends_with('_') && !t.contains("__") {
                return Value::from(i);
            }
        }
    }
    match t.to_ascii_lowercase().as_str() {
        "nan" | "+nan" | "-nan" | "inf" | "+inf" | "-inf" | "infinity" | "+infinity"
        | "-infinity" => return Value::Null,
        _ => {}
    }
    t.parse::<f64>().map(float).unwrap_or(Value::Null)
}

/// `json.dumps(v, separators=(',', ':'))`: insertion order, non-ASCII escaped as `\uXXXX`.
fn compact_ascii_json(v: &Value) -> String {
    let mut out = String::new();
    write_compact(&mut out, v);
    out
}

fn write_compact(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_str(n)),
        Value::String(s) => write_ascii_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(out, item);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_ascii_string(out, k);
                out.push(':');
                write_compact(out, item);
            }
            out.push('}');
        }
    }
}

fn write_ascii_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(v: &Value, e: &str) -> Value {
        query(v, e).unwrap_or_else(|err| panic!("{e}: {err}"))
    }

    #[test]
    fn multiselect_hash_keeps_written_order() {
        let v = json!([{"name": "a", "location": "x"}]);
        let r = q(&v, "[].{name:name, loc:location}");
        let keys: Vec<&String> = r[0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["name", "loc"]);
        let r = q(&v, "[0].{z:name, a:location}");
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["z", "a"]);
    }

    #[test]
    fn basic_expressions() {
        let v = json!({"id": "/x", "items": [{"n": 1, "ok": true}, {"n": 2, "ok": false}, {"n": 3}],
                       "o": {"a": 1, "b": 2}, "s": "héllo"});
        assert_eq!(q(&v, "id"), json!("/x"));
        assert_eq!(q(&v, "missing"), Value::Null);
        assert_eq!(q(&v, "length(@)"), json!(4));
        assert_eq!(q(&v, "length(s)"), json!(5));
        assert_eq!(q(&v, "items[].n"), json!([1, 2, 3]));
        assert_eq!(q(&v, "items[?ok].n"), json!([1]));
        assert_eq!(q(&v, "items[?n > `1`].n"), json!([2, 3]));
        assert_eq!(q(&v, "items[?ok == `false`].n"), json!([2]));
        assert_eq!(q(&v, "items[-1].n"), json!(3));
        assert_eq!(q(&v, "items[::-1].n"), json!([3, 2, 1]));
        assert_eq!(q(&v, "items[1:].n"), json!([2, 3]));
        assert_eq!(q(&v, "o.*"), json!([1, 2]));
        assert_eq!(q(&v, "[[`1`,`2`],`3`][]"), json!([1, 2, 3]));
        assert_eq!(q(&v, "items[].n | [0]"), json!(1));
        assert_eq!(q(&v, "missing || id"), json!("/x"));
        assert_eq!(q(&v, "id && s"), json!("héllo"));
        assert_eq!(q(&v, "!missing"), json!(true));
        assert_eq!(q(&v, "sort_by(items, &n)[-1].n"), json!(3));
        assert_eq!(q(&v, "max_by(items, &n).n"), json!(3));
        assert_eq!(q(&v, "join(', ', ['a', 'b'])"), json!("a, b"));
        assert_eq!(q(&v, "sum(items[].n)"), json!(6));
        assert_eq!(q(&v, "avg(items[].n)"), json!(2.0));
        assert_eq!(q(&v, "to_string(o)"), json!("{\"a\":1,\"b\":2}"));
        assert_eq!(q(&v, "to_string(s)"), json!("héllo"));
        assert_eq!(q(&v, "to_string([s])"), json!("[\"h\\u00e9llo\"]"));
        assert_eq!(q(&v, "to_number('3')"), json!(3));
        assert_eq!(q(&v, "to_number('1.5')"), json!(1.5));
        assert_eq!(q(&v, "to_number('x')"), Value::Null);
        assert_eq!(q(&v, "type(items)"), json!("array"));
        assert_eq!(q(&v, "contains(s, 'é')"), json!(true));
        assert_eq!(q(&v, "keys(o)"), json!(["a", "b"]));
        assert_eq!(q(&v, "merge(o, `{\"a\": 5}`)"), json!({"a": 5, "b": 2}));
        assert_eq!(q(&v, "not_null(missing, `null`, id)"), json!("/x"));
        assert_eq!(q(&v, "map(&n, items)"), json!([1, 2, 3]));
        assert_eq!(q(&v, "floor(`1.5`)"), json!(1));
        assert_eq!(q(&v, "`1` == `1.0`"), json!(true));
        assert_eq!(q(&v, "`true` == `1`"), json!(false));
        assert_eq!(q(&v, "items[?ok==`x`] | length(@)"), json!(0));
        assert_eq!(q(&json!([{"a": "x y"}]), "[?a==` x y`].a"), json!(["x y"]));
        assert_eq!(q(&v, "`[1,2,]`"), json!("[1,2,]"));
        assert_eq!(q(&v, "'`x`'"), json!("`x`"));
        assert_eq!(q(&v, "`[true]` == `[1]`"), json!(true));
        assert_eq!(q(&v, "contains(`[true]`, `1`)"), json!(true));
        // Python ends a projection at a dotted multi-select hash.
        assert_eq!(q(&v, "items[*].{x: n}.x"), Value::Null);
        assert_eq!(
            q(&v, "items[*].{x: n}[?x > `1`]"),
            json!([{"x": 2}, {"x": 3}])
        );
        assert_eq!(q(&v, "items[*].{x: n}[0]"), json!({"x": 1}));
        assert_eq!(
            q(&v, "items[*].n.{x: @}"),
            json!([{"x": 1}, {"x": 2}, {"x": 3}])
        );
        assert_eq!(q(&v, "id < s"), json!(true));
        assert_eq!(q(&v, "o < `1`"), Value::Null);
        assert_eq!(
            query(&v, "s < `1`").unwrap_err().to_string(),
            "'<' not supported between instances of 'str' and 'int'"
        );
        assert_eq!(q(&v, "missing.{a: a}"), Value::Null);
    }

    #[test]
    fn bad_expression_message_is_azs() {
        let err = query(&json!({}), "[?").unwrap_err();
        assert_eq!(
            err.to_string(),
            "argument --query: invalid jmespath_type value: '[?'"
        );
        assert!(matches!(err, QueryError::Invalid { .. }));
        let err = check_query("a'b").unwrap_err();
        assert_eq!(
            err.to_string(),
            "argument --query: invalid jmespath_type value: \"a'b\""
        );
        assert!(check_query("[].{name:name}").is_ok());
    }

    #[test]
    fn runtime_errors_read_like_python_jmespath() {
        let err = query(&json!({"n": 5}), "length(n)").unwrap_err();
        assert_eq!(
            err.to_string(),
            "In function length(), invalid type for value: 5, expected one of: ['string', 'array', 'object'], received: \"number\""
        );
        let err = query(&json!({}), "nope(@)").unwrap_err();
        assert_eq!(err.to_string(), "Unknown function: nope()");
        let err = query(&json!({}), "length(@, @)").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Expected 1 argument for function length(), received 2"
        );
    }

    #[test]
    fn python_repr_quotes() {
        assert_eq!(python_repr("a"), "'a'");
        assert_eq!(python_repr("it's"), "\"it's\"");
        assert_eq!(python_repr("'\""), "'\\'\"'");
        assert_eq!(python_repr("a\\b\n"), "'a\\\\b\\n'");
    }
}
