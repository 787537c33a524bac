//! JSON text exactly as az prints it: Python's
//! `json.dumps(x, ensure_ascii=False, indent=2, sort_keys=True)`.

use serde_json::{Number, Value};

/// Python's `json.dumps(x, ensure_ascii=False, indent=2, sort_keys=True)`: two-space indent,
/// `","` at line ends and `": "` between key and value, keys sorted at every level, non-ASCII
/// kept, empty containers as `{}` / `[]`, floats as Python's `repr`. No trailing newline.
pub fn to_az_json(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, 0);
    out
}

fn write_value(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_string(out, k);
                out.push_str(": ");
                write_value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Python escapes `"`, `\`, and the control characters below U+0020 (short forms for
/// `\n \r \t \b \f`, `\u00XX` lower-case otherwise) and nothing else when
/// `ensure_ascii=False`; serde_json's string escaping is the same set.
fn write_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).expect("a str always serializes"));
}

fn write_number(out: &mut String, n: &Number) {
    if n.is_f64() {
        match n.as_f64() {
            Some(f) => out.push_str(&python_float_repr(f)),
            None => out.push_str(&n.to_string()),
        }
    } else {
        out.push_str(&n.to_string())
    }
}

/// Python's `float.__repr__`: the shortest digits that round-trip, in positional notation
/// when the decimal exponent is in -4..16, else `d.ddde+XX` (at least two exponent digits).
pub(crate) fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. `1.5e-5`, `1e16`, `-1.25e2`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci
        .split_once('e')
        .expect("LowerExp always has an exponent");
    let exp: i32 = exp.parse().expect("LowerExp exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let ndigits = digits.len() as i32;
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point >= ndigits {
            format!("{}{}.0", digits, "0".repeat((point - ndigits) as usize))
        } else {
            let (a, b) = digits.split_at(point as usize);
            format!("{a}.{b}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let mant = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mant}e{esign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_layout_matches_python() {
        let v = json!({"b": [1, {"y": null, "x": true}, []], "a": {}, "c": "é\n\"\u{1}"});
        let expected = "{\n  \"a\": {},\n  \"b\": [\n    1,\n    {\n      \"x\": true,\n      \"y\": null\n    },\n    []\n  ],\n  \"c\": \"é\\n\\\"\\u0001\"\n}";
        assert_eq!(to_az_json(&v), expected);
    }

    #[test]
    fn scalars_at_top_level() {
        assert_eq!(to_az_json(&json!("id")), "\"id\"");
        assert_eq!(to_az_json(&json!(true)), "true");
        assert_eq!(to_az_json(&json!([])), "[]");
        assert_eq!(to_az_json(&json!(-3)), "-3");
    }

    #[test]
    fn floats_like_python_repr() {
        let cases: &[(f64, &str)] = &[
            (100.0, "100.0"),
            (0.1, "0.1"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1.2345e16, "1.2345e+16"),
            (123456789012345.6, "123456789012345.6"),
            (-2.5, "-2.5"),
            (1e-300, "1e-300"),
            (0.0, "0.0"),
        ];
        for (f, want) in cases {
            assert_eq!(python_float_repr(*f), *want, "{f}");
        }
        assert_eq!(to_az_json(&json!({"p": 100.0})), "{\n  \"p\": 100.0\n}");
    }

    /// Needs serde_json's `float_roundtrip`: its default parser can be one ulp off, and then
    /// the printed digits differ from what Python prints for the same body.
    #[test]
    fn parsed_floats_print_like_python() {
        let v: Value =
            serde_json::from_str("[12345678901234567.0, 2.5e-7, 1e22, 5e-324, -0.0]").unwrap();
        assert_eq!(
            to_az_json(&v),
            "[\n  1.2345678901234568e+16,\n  2.5e-07,\n  1e+22,\n  5e-324,\n  -0.0\n]"
        );
    }

    #[test]
    fn keeps_non_ascii_and_line_separators_unescaped() {
        assert_eq!(
            to_az_json(&json!("日本\u{2028}\u{7f}")),
            "\"日本\u{2028}\u{7f}\""
        );
    }
}
