//! JSON Schemas of the SCIM messages a target answers with (`fixtures/schemas/`), compiled
//! once and embedded in the binary: ListResponse, User, Group and Error.

use std::sync::OnceLock;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    ListResponse,
    User,
    Group,
    Error,
}

impl Message {
    fn source(self) -> &'static str {
        match self {
            Message::ListResponse => include_str!("../../fixtures/schemas/list-response.json"),
            Message::User => include_str!("../../fixtures/schemas/user.json"),
            Message::Group => include_str!("../../fixtures/schemas/group.json"),
            Message::Error => include_str!("../../fixtures/schemas/error.json"),
        }
    }

    pub fn file(self) -> &'static str {
        match self {
            Message::ListResponse => "fixtures/schemas/list-response.json",
            Message::User => "fixtures/schemas/user.json",
            Message::Group => "fixtures/schemas/group.json",
            Message::Error => "fixtures/schemas/error.json",
        }
    }

    fn validator(self) -> &'static jsonschema::Validator {
        static V: OnceLock<[jsonschema::Validator; 4]> = OnceLock::new();
        let all = V.get_or_init(|| {
            [
                Message::ListResponse,
                Message::User,
                Message::Group,
                Message::Error,
            ]
            .map(|m| {
                let schema: Value =
                    serde_json::from_str(m.source()).expect("embedded schema is JSON");
                jsonschema::validator_for(&schema).expect("embedded schema compiles")
            })
        });
        &all[self as usize]
    }

    /// Validation errors, as `path: message` lines (empty when the document is valid).
    pub fn validate(self, doc: &Value) -> Vec<String> {
        self.validator()
            .iter_errors(doc)
            .take(8)
            .map(|e| {
                let path = e.instance_path().to_string();
                format!("{}: {e}", if path.is_empty() { "/" } else { &path })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schemas_accept_good_and_refuse_bad_messages() {
        let list = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]});
        assert!(Message::ListResponse.validate(&list).is_empty());
        let bad = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":"3","startIndex":1});
        assert!(!Message::ListResponse.validate(&bad).is_empty());
        let missing = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":3});
        assert!(!Message::ListResponse.validate(&missing).is_empty());
        let user = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"1","userName":"a","active":true});
        assert!(Message::User.validate(&user).is_empty());
        let leaky = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"1","userName":"a","password":"x"});
        assert!(!Message::User.validate(&leaky).is_empty());
        let err = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"x"});
        assert!(Message::Error.validate(&err).is_empty());
        let numeric = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":404,"detail":"x"});
        assert!(!Message::Error.validate(&numeric).is_empty());
        let group = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g","displayName":"G","members":[{"value":"u"}]});
        assert!(Message::Group.validate(&group).is_empty());
    }
}
