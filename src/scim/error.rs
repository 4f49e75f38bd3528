//! SCIM errors as RFC 7644 §3.12 defines them, and as okta-scim-wire §9 says Okta reads them:
//! an Error-schema body with `status` as a string and a non-empty `detail`.

use serde_json::{Value, json};

/// The URN of the SCIM Error message schema.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` values of RFC 7644 §3.12 table 9 that this crate produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    /// The filter is not valid (RFC 7644 §3.12).
    InvalidFilter,
    /// Too many results.
    TooMany,
    /// A uniqueness constraint is violated.
    Uniqueness,
    /// The attribute cannot be changed.
    Mutability,
    /// The body is not valid syntax.
    InvalidSyntax,
    /// The PATCH path is not valid.
    InvalidPath,
    /// The PATCH path matches nothing.
    NoTarget,
    /// A value is of the wrong type or not allowed.
    InvalidValue,
    /// The version in If-Match is not valid.
    InvalidVers,
    /// The request would disclose sensitive data.
    Sensitive,
}

impl ScimType {
    /// The `scimType` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

/// One SCIM error: an HTTP status, an optional `scimType` and a human-readable detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {}: {detail}", scim_type.map(ScimType::as_str).unwrap_or("error"))]
pub struct ScimError {
    /// The HTTP status.
    pub status: u16,
    /// The `scimType`, for 400 and 409 errors.
    pub scim_type: Option<ScimType>,
    /// The sentence a person reads.
    pub detail: String,
}

impl ScimError {
    /// An error with this status, type and detail.
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }
    /// 400 with this `scimType`.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }
    /// 400 `invalidFilter`.
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidFilter, detail)
    }
    /// 400 `invalidSyntax`.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidSyntax, detail)
    }
    /// 400 `invalidValue`.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidValue, detail)
    }
    /// 400 `invalidPath`.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidPath, detail)
    }
    /// 400 `noTarget`.
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::NoTarget, detail)
    }
    /// 400 `mutability`.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::Mutability, detail)
    }
    /// 409 `uniqueness`.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some(ScimType::Uniqueness), detail)
    }
    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }
    /// 401.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, None, detail)
    }
    /// 412 (a stale If-Match).
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(412, None, detail)
    }
    /// 413.
    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::new(413, None, detail)
    }

    /// The Error body of RFC 7644 §3.12, with `status` as a string.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = Value::String(t.as_str().to_string());
        }
        body["detail"] = Value::String(self.detail.clone());
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_string_status_and_scim_type() {
        let e = ScimError::uniqueness("userName \"a@b.c\" is already taken");
        let body = e.to_json();
        assert_eq!(body["status"], "409");
        assert_eq!(body["scimType"], "uniqueness");
        assert_eq!(body["schemas"][0], ERROR_SCHEMA);
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"userName \"a@b.c\" is already taken"}"#
        );
    }

    #[test]
    fn not_found_has_no_scim_type() {
        let body = ScimError::not_found("no such user").to_json();
        assert!(body.get("scimType").is_none());
        assert_eq!(body["status"], "404");
    }
}
