//! Listing (RFC 7644 §3.4.2): query parameters, 1-based paging and the ListResponse message,
//! with what Okta checks (okta-scim-wire §1, §2, quirks 14, 15 and 17): `itemsPerPage` equals
//! the number of Resources returned, paging numbers are JSON integers, a page past the end is
//! an empty but complete ListResponse.

use serde_json::{Value, json};

use super::error::ScimError;
use super::filter::{CompiledFilter, decode_query};
use super::resource::Projection;
use super::schema::{LIST_RESPONSE_SCHEMA, ResourceKind};

/// Page size when the client names none.
pub const DEFAULT_COUNT: usize = 100;
/// The largest page this server returns (`filter.maxResults` in /ServiceProviderConfig).
pub const MAX_COUNT: usize = 1000;

/// The query parameters of a list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// The compiled filter, when there is one.
    pub filter: Option<CompiledFilter>,
    /// 1-based index of the first result (RFC 7644 §3.4.2.4).
    pub start_index: usize,
    /// How many results a page holds at most.
    pub count: usize,
    /// Which attributes to return.
    pub projection: Projection,
}

impl ListQuery {
    /// Parse a raw (still percent-encoded) query string.
    pub fn parse(kind: ResourceKind, raw: Option<&str>) -> Result<Self, ScimError> {
        let params = decode_query(raw.unwrap_or(""));
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let filter = match get("filter") {
            Some(f) => Some(CompiledFilter::parse(kind, f)?),
            None => None,
        };
        let start_index = match get("startIndex") {
            // "A value less than 1 SHALL be interpreted as 1."
            Some(s) => parse_int("startIndex", s)?.max(1) as usize,
            None => 1,
        };
        let count = match get("count") {
            // "A negative value SHALL be interpreted as 0."
            Some(s) => (parse_int("count", s)?.max(0) as usize).min(MAX_COUNT),
            None => DEFAULT_COUNT,
        };
        let projection = Projection::parse(kind, get("attributes"), get("excludedAttributes"))?;
        Ok(ListQuery {
            filter,
            start_index,
            count,
            projection,
        })
    }

    /// The slice of a result set of `total` items this query asks for.
    pub fn page(&self, total: usize) -> std::ops::Range<usize> {
        let start = (self.start_index - 1).min(total);
        let end = start.saturating_add(self.count).min(total);
        start..end
    }
}

/// The SearchRequest message (RFC 7644 §3.4.3).
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// The query string a SearchRequest body (RFC 7644 §3.4.3) stands for: `filter`, `startIndex`,
/// `count`, `attributes` and `excludedAttributes` (arrays or comma-separated strings), so a
/// POST to `.search` is answered exactly as the GET would be. Other members are ignored
/// (`sortBy`: sorting is not supported, as `/ServiceProviderConfig` says).
pub fn search_request_query(body: &Value) -> Result<String, ScimError> {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a SearchRequest must be a JSON object"))?;
    let member = |name: &str| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let mut parts = Vec::new();
    let mut put = |k: &str, v: &str| {
        parts.push(format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)));
    };
    if let Some(f) = member("filter") {
        match f {
            Value::String(f) => put("filter", f),
            Value::Null => {}
            _ => return Err(ScimError::invalid_value("\"filter\" must be a string")),
        }
    }
    for name in ["startIndex", "count"] {
        match member(name) {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => put(name, &n.to_string()),
            Some(other) => {
                return Err(ScimError::invalid_value(format!(
                    "\"{name}\" must be an integer, got {other}"
                )));
            }
        }
    }
    for name in ["attributes", "excludedAttributes"] {
        match member(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => put(name, s),
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
                let list: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                put(name, &list.join(","));
            }
            Some(other) => {
                return Err(ScimError::invalid_value(format!(
                    "\"{name}\" must be an array of attribute names, got {other}"
                )));
            }
        }
    }
    Ok(parts.join("&"))
}

fn parse_int(name: &str, s: &str) -> Result<i64, ScimError> {
    s.trim().parse::<i64>().or_else(|_| {
        // Very large integers are still integers: clamp them.
        let t = s.trim();
        let digits = t.strip_prefix('-').unwrap_or(t);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(if t.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            })
        } else {
            Err(ScimError::invalid_value(format!(
                "{name} must be an integer, got {s:?}"
            )))
        }
    })
}

/// The ListResponse message of RFC 7644 §3.4.2.
pub fn list_response(resources: Vec<Value>, total: usize, start_index: usize) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// [`list_response`] written out, around resources already written as JSON text: the same
/// bytes `list_response(…).to_string()` gives.
pub fn list_response_text(resources: &[String], total: usize, start_index: usize) -> String {
    let mut out = String::with_capacity(resources.iter().map(|r| r.len() + 1).sum::<usize>() + 160);
    out.push_str("{\"schemas\":[\"");
    out.push_str(LIST_RESPONSE_SCHEMA);
    out.push_str(&format!(
        "\"],\"totalResults\":{total},\"startIndex\":{start_index},\"itemsPerPage\":{},\"Resources\":[",
        resources.len()
    ));
    out.push_str(&resources.join(","));
    out.push_str("]}");
    out
}

/// A ListResponse's resources as a client reads them, accepting the lowercase `resources`
/// Okta tolerates (okta-scim-wire quirk 16).
pub fn resources_of(list: &Value) -> Option<&Vec<Value>> {
    list.get("Resources")
        .or_else(|| list.get("resources"))
        .and_then(Value::as_array)
}

/// A ListResponse's `totalResults` as a client reads it: a JSON integer (lowercase tolerated).
pub fn total_results_of(list: &Value) -> Option<u64> {
    list.get("totalResults")
        .or_else(|| list.get("totalresults"))
        .and_then(Value::as_u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_response_written_around_text_is_the_one_serde_writes() {
        let items = vec![
            serde_json::json!({"id": "a", "n": 1}),
            serde_json::json!({"id": "b\"c"}),
        ];
        let text: Vec<String> = items.iter().map(Value::to_string).collect();
        assert_eq!(
            list_response_text(&text, 7, 3),
            list_response(items, 7, 3).to_string()
        );
        assert_eq!(
            list_response_text(&[], 0, 1),
            list_response(vec![], 0, 1).to_string()
        );
    }

    fn q(raw: &str) -> Result<ListQuery, ScimError> {
        ListQuery::parse(ResourceKind::User, Some(raw))
    }

    #[test]
    fn paging_is_one_based_and_clamped() {
        assert_eq!(q("startIndex=1&count=100").unwrap().page(250), 0..100);
        assert_eq!(q("startIndex=201&count=100").unwrap().page(250), 200..250);
        // ory/polis#4054: a page past the end is empty.
        assert_eq!(q("startIndex=101&count=100").unwrap().page(2), 2..2);
        assert_eq!(q("startIndex=0&count=-5").unwrap().page(10), 0..0);
        assert_eq!(q("").unwrap().page(1000), 0..DEFAULT_COUNT);
        assert_eq!(q("count=99999999999999999999999").unwrap().count, MAX_COUNT);
        assert_eq!(
            q("startIndex=99999999999999999999999").unwrap().page(5),
            5..5
        );
        assert_eq!(q("STARTINDEX=3&COUNT=1").unwrap().page(5), 2..3);
    }

    #[test]
    fn bad_numbers_are_invalid_value() {
        for raw in ["startIndex=abc", "count=1.5", "count=", "startIndex=%00"] {
            let e = q(raw).unwrap_err();
            assert_eq!(
                e.scim_type,
                Some(crate::scim::ScimType::InvalidValue),
                "{raw}"
            );
        }
    }

    #[test]
    fn list_response_counts_what_it_returns() {
        let v = list_response(vec![json!({"id": "a"})], 7, 3);
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":7,"startIndex":3,"itemsPerPage":1,"Resources":[{"id":"a"}]}"#
        );
        let empty = list_response(vec![], 0, 1);
        assert_eq!(
            serde_json::to_string(&empty).unwrap(),
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}"#
        );
    }
}
