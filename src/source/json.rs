//! Typed reads of fields in an API's JSON, for the parsers of the social
//! sources: absent and `null` are "not given", a value of another type is an
//! error that names the field and what it held. Pure; no I/O.

use serde_json::{Map, Value};

/// The JSON type of a value, as an error message names it.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A whole body that must be one JSON object.
pub fn object(body: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice(body).map_err(|e| format!("not JSON ({e})"))? {
        Value::Object(o) => Ok(o),
        _ => Err("not a JSON object".into()),
    }
}

/// A string field: absent and `null` are `None`, another type an error.
pub fn str<'a>(o: &'a Map<String, Value>, k: &str) -> Result<Option<&'a str>, String> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(format!("`{k}` is a {}, expected a string", kind(v))),
    }
}

/// An integer field: absent and `null` are `None`, another type an error.
pub fn int(o: &Map<String, Value>, k: &str) -> Result<Option<i64>, String> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("`{k}` is a {}, expected an integer", kind(v))),
    }
}

/// A number field: absent and `null` are `None`, another type an error.
pub fn num(o: &Map<String, Value>, k: &str) -> Result<Option<f64>, String> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(v) => Err(format!("`{k}` is a {}, expected a number", kind(v))),
    }
}

/// `base` with path segments appended, whether or not it ends in `/`, and
/// without its query.
pub fn endpoint(base: &url::Url, segments: &[&str]) -> url::Url {
    let mut url = base.clone();
    url.set_query(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_the_wrong_type_are_named_with_what_they_held() {
        let o = object(br#"{"a": "x", "n": 3, "f": 1.5, "z": null, "b": true}"#).unwrap();
        assert_eq!(str(&o, "a"), Ok(Some("x")));
        assert_eq!(str(&o, "z"), Ok(None));
        assert_eq!(str(&o, "gone"), Ok(None));
        assert_eq!(
            str(&o, "n"),
            Err("`n` is a number, expected a string".into())
        );
        assert_eq!(int(&o, "n"), Ok(Some(3)));
        assert_eq!(
            int(&o, "b"),
            Err("`b` is a boolean, expected an integer".into())
        );
        assert_eq!(num(&o, "f"), Ok(Some(1.5)));
        assert!(object(b"[1]").is_err());
    }

    #[test]
    fn endpoints_append_to_a_base_with_or_without_a_slash() {
        for base in ["https://api.example/v1", "https://api.example/v1/?q=1"] {
            let u = endpoint(&base.parse().unwrap(), &["user", "pg.json"]);
            assert_eq!(u.as_str(), "https://api.example/v1/user/pg.json");
        }
    }
}
