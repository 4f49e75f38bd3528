//! A small XML tree for SAML messages: parsed with quick-xml, prefixes kept as written,
//! namespaces resolved, DOCTYPEs and entity definitions refused, size and depth bounded; and
//! Exclusive XML Canonicalization 1.0 without comments (W3C xml-exc-c14n, with the
//! InclusiveNamespaces PrefixList) over any subtree, for XML-DSig.
//!
//! Element positions are index paths (child element indexes from the root), so a signature's
//! parent, the element a signature excludes and the targets of the attack mutators are named
//! without pointers.

use std::collections::{BTreeMap, HashMap, HashSet};

use quick_xml::Reader;
use quick_xml::events::Event;

/// The SAML 2.0 protocol namespace.
pub const NS_SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// The SAML 2.0 assertion namespace.
pub const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// The XML-DSig namespace.
pub const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The exclusive C14N namespace.
pub const NS_EC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// The `xml:` namespace.
pub const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";
/// The SAML 2.0 metadata namespace.
pub const NS_MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

/// Documents larger than this are refused.
pub const MAX_XML_BYTES: usize = 1024 * 1024;
/// The deepest nesting the parser accepts.
pub const MAX_DEPTH: usize = 64;
/// The most elements the parser accepts.
pub const MAX_ELEMENTS: usize = 20_000;
/// The most attributes (namespace declarations included) one element may have.
pub const MAX_ATTRIBUTES: usize = 256;

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Larger than the parser accepts.
    #[error("the XML document is larger than {MAX_XML_BYTES} bytes")]
    TooLarge,
    #[error(
        "a DOCTYPE is not allowed in SAML messages (DTDs enable XXE and entity expansion attacks)"
    )]
    /// A DOCTYPE (refused: DTDs enable XXE and entity expansion).
    Doctype,
    /// Nested deeper than the parser accepts.
    #[error("the XML is nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// More elements than the parser accepts.
    #[error("the XML has more than {MAX_ELEMENTS} elements")]
    TooManyElements,
    /// An element with more attributes than the parser accepts.
    #[error("an element has more than {MAX_ATTRIBUTES} attributes")]
    TooManyAttributes,
    /// Not well-formed.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// A prefix with no namespace declared.
    #[error("undeclared namespace prefix {0:?}")]
    UnboundPrefix(String),
}

/// An attribute, with its prefix as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// The prefix as written.
    pub prefix: Option<String>,
    /// The local name.
    pub local: String,
    /// The namespace, when prefixed.
    pub ns: Option<String>,
    /// The value, unescaped.
    pub value: String,
}

/// A node of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// An element.
    Element(Element),
    /// Text (unescaped).
    Text(String),
    /// A comment (a node, so C14N and NameID reading can see it).
    Comment(String),
    /// A processing instruction: target and data.
    Pi(String, String),
}

/// An element, with its prefix and namespace declarations as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The prefix as written.
    pub prefix: Option<String>,
    /// The local name.
    pub local: String,
    /// The resolved namespace URI.
    pub ns: Option<String>,
    /// Namespace declarations written on this element: (prefix, URI); None is the default.
    pub ns_decls: Vec<(Option<String>, String)>,
    /// Its attributes, in document order.
    pub attrs: Vec<Attr>,
    /// Its children.
    pub children: Vec<Node>,
}

type Scope = BTreeMap<Option<String>, String>;

/// The namespace bindings in scope while a tree is walked: each prefix's stack of URIs, pushed
/// when an element declares it and popped when the element ends, so that no element copies
/// the bindings of its ancestors (copying made hostile documents quadratic).
#[derive(Debug, Default)]
struct Bindings {
    map: HashMap<Option<String>, Vec<String>, foldhash::fast::FixedState>,
}

impl Bindings {
    fn with_xml() -> Self {
        let mut b = Bindings::default();
        b.push(Some("xml".to_string()), NS_XML.to_string());
        b
    }
    fn push(&mut self, prefix: Option<String>, uri: String) {
        self.map.entry(prefix).or_default().push(uri);
    }
    fn pop(&mut self, prefix: &Option<String>) {
        if let Some(v) = self.map.get_mut(prefix) {
            v.pop();
        }
    }
    fn get(&self, prefix: &Option<String>) -> Option<&String> {
        self.map.get(prefix).and_then(|v| v.last())
    }
}

fn split_qname(q: &str) -> (Option<String>, String) {
    match q.split_once(':') {
        Some((p, l)) => (Some(p.to_string()), l.to_string()),
        None => (None, q.to_string()),
    }
}

/// Attribute-value normalisation (XML 1.0 §3.3.3, CDATA attributes): literal tab, newline and
/// carriage return become spaces; character references keep what they encode.
fn attr_value(raw: &str) -> Result<String, XmlError> {
    if !raw.contains(['&', '\t', '\n', '\r']) {
        return Ok(raw.to_string());
    }
    let normalized: String = raw
        .chars()
        .map(|c| {
            if matches!(c, '\t' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect();
    quick_xml::escape::unescape(&normalized)
        .map(|c| c.into_owned())
        .map_err(|e| XmlError::Malformed(e.to_string()))
}

/// End-of-line handling (XML 1.0 §2.11), then entity and character references.
fn text_value(raw: &str) -> Result<String, XmlError> {
    if !raw.contains(['&', '\r']) {
        return Ok(raw.to_string());
    }
    let normalized = raw.replace("\r\n", "\n").replace('\r', "\n");
    quick_xml::escape::unescape(&normalized)
        .map(|c| c.into_owned())
        .map_err(|e| XmlError::Malformed(e.to_string()))
}

/// Parse a document; its root element is returned.
pub fn parse(xml: &str) -> Result<Element, XmlError> {
    if xml.len() > MAX_XML_BYTES {
        return Err(XmlError::TooLarge);
    }
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    // Each open element, with the prefixes it declared (popped from the bindings at its end).
    let mut stack: Vec<(Element, Vec<Option<String>>)> = Vec::new();
    let mut bindings = Bindings::with_xml();
    let mut root: Option<Element> = None;
    let mut count = 0usize;

    let resolve = |bindings: &Bindings, p: &Option<String>| -> Result<Option<String>, XmlError> {
        match p {
            Some(name) => bindings
                .get(p)
                .cloned()
                .map(Some)
                .ok_or_else(|| XmlError::UnboundPrefix(name.clone())),
            None => Ok(None),
        }
    };
    let open = |e: &quick_xml::events::BytesStart<'_>,
                bindings: &mut Bindings|
     -> Result<(Element, Vec<Option<String>>), XmlError> {
        let name = std::str::from_utf8(e.name().into_inner())
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        let (prefix, local) = split_qname(name);
        let mut ns_decls = Vec::new();
        let mut raw_attrs = Vec::new();
        // Duplicate attributes are found by comparing names while an element has few, then
        // with a set: quick-xml's own check is quadratic however many there are.
        let mut few: Vec<&[u8]> = Vec::new();
        let mut seen: HashSet<&[u8]> = HashSet::new();
        let mut count = 0;
        for a in e.attributes().with_checks(false) {
            let a = a.map_err(|e| XmlError::Malformed(e.to_string()))?;
            if count >= MAX_ATTRIBUTES {
                return Err(XmlError::TooManyAttributes);
            }
            count += 1;
            let key = a.key.into_inner();
            let fresh = if count <= 16 {
                let fresh = !few.contains(&key);
                few.push(key);
                fresh
            } else {
                if seen.is_empty() {
                    seen.extend(few.iter().copied());
                }
                seen.insert(key)
            };
            if !fresh {
                return Err(XmlError::Malformed(format!(
                    "duplicate attribute {}",
                    String::from_utf8_lossy(key)
                )));
            }
            let key = std::str::from_utf8(key).map_err(|e| XmlError::Malformed(e.to_string()))?;
            let raw =
                std::str::from_utf8(&a.value).map_err(|e| XmlError::Malformed(e.to_string()))?;
            let value = attr_value(raw)?;
            if key == "xmlns" {
                ns_decls.push((None, value));
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                ns_decls.push((Some(p.to_string()), value));
            } else {
                raw_attrs.push((key, value));
            }
        }
        let declared: Vec<Option<String>> = ns_decls.iter().map(|(p, _)| p.clone()).collect();
        for (p, uri) in &ns_decls {
            bindings.push(p.clone(), uri.clone());
        }
        let undo = |bindings: &mut Bindings| {
            for p in &declared {
                bindings.pop(p);
            }
        };
        let ns = match &prefix {
            Some(_) => match resolve(bindings, &prefix) {
                Ok(ns) => ns,
                Err(e) => {
                    undo(bindings);
                    return Err(e);
                }
            },
            None => bindings.get(&None).filter(|u| !u.is_empty()).cloned(),
        };
        let mut attrs = Vec::with_capacity(raw_attrs.len());
        for (key, value) in raw_attrs {
            let (p, l) = split_qname(key);
            let ans = match resolve(bindings, &p) {
                Ok(ns) => ns,
                Err(e) => {
                    undo(bindings);
                    return Err(e);
                }
            };
            attrs.push(Attr {
                prefix: p,
                local: l,
                ns: ans,
                value,
            });
        }
        Ok((
            Element {
                prefix,
                local,
                ns,
                ns_decls,
                attrs,
                children: Vec::new(),
            },
            declared,
        ))
    };

    loop {
        let ev = reader
            .read_event()
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        match ev {
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(XmlError::Malformed("content after the root element".into()));
            }
            Event::Start(e) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(XmlError::TooManyElements);
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                stack.push(open(&e, &mut bindings)?);
            }
            Event::Empty(e) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(XmlError::TooManyElements);
                }
                let (el, declared) = open(&e, &mut bindings)?;
                for p in &declared {
                    bindings.pop(p);
                }
                match stack.last_mut() {
                    Some((p, _)) => p.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let (el, declared) = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                for p in &declared {
                    bindings.pop(p);
                }
                match stack.last_mut() {
                    Some((p, _)) => p.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let raw = std::str::from_utf8(t.as_ref())
                    .map_err(|e| XmlError::Malformed(e.to_string()))?;
                match stack.last_mut() {
                    Some((p, _)) => p.children.push(Node::Text(text_value(raw)?)),
                    None if raw.trim().is_empty() => {}
                    None => {
                        return Err(XmlError::Malformed("text outside the root element".into()));
                    }
                }
            }
            Event::CData(t) => {
                let raw = std::str::from_utf8(t.as_ref())
                    .map_err(|e| XmlError::Malformed(e.to_string()))?;
                if let Some((p, _)) = stack.last_mut() {
                    p.children.push(Node::Text(raw.replace("\r\n", "\n")));
                }
            }
            Event::Comment(t) => {
                let raw = String::from_utf8_lossy(t.as_ref()).into_owned();
                if let Some((p, _)) = stack.last_mut() {
                    p.children.push(Node::Comment(raw));
                }
            }
            Event::PI(t) => {
                let raw = String::from_utf8_lossy(t.as_ref()).into_owned();
                let (target, data) = match raw.split_once(char::is_whitespace) {
                    Some((t, d)) => (t.to_string(), d.trim_start().to_string()),
                    None => (raw.clone(), String::new()),
                };
                if let Some((p, _)) = stack.last_mut() {
                    p.children.push(Node::Pi(target, data));
                }
            }
            Event::Decl(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed(
            "unclosed elements at the end of the document".into(),
        ));
    }
    root.ok_or_else(|| XmlError::Malformed("no root element".into()))
}

impl Element {
    /// Whether this element is `local` in namespace `ns`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns.as_deref() == Some(ns) && self.local == local
    }

    /// The name as written: `prefix:local`.
    pub fn qname(&self) -> String {
        match &self.prefix {
            Some(p) => format!("{p}:{}", self.local),
            None => self.local.clone(),
        }
    }

    /// An unqualified attribute.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// Set an unprefixed attribute, replacing one of that name.
    pub fn set_attr(&mut self, local: &str, value: &str) {
        match self
            .attrs
            .iter_mut()
            .find(|a| a.ns.is_none() && a.local == local)
        {
            Some(a) => a.value = value.to_string(),
            None => self.attrs.push(Attr {
                prefix: None,
                local: local.into(),
                ns: None,
                value: value.into(),
            }),
        }
    }

    /// The child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The child elements, mutably.
    pub fn elements_mut(&mut self) -> impl Iterator<Item = &mut Element> {
        self.children.iter_mut().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The first child element `local` in namespace `ns`.
    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, local))
    }

    /// The first child element `local` in namespace `ns`, mutably.
    pub fn child_mut(&mut self, ns: &str, local: &str) -> Option<&mut Element> {
        self.elements_mut().find(|e| e.is(ns, local))
    }

    /// The concatenated text of all descendant text nodes (comments and PIs are not text).
    pub fn text(&self) -> String {
        let mut s = String::new();
        fn walk(e: &Element, s: &mut String) {
            for n in &e.children {
                match n {
                    Node::Text(t) => s.push_str(t),
                    Node::Element(c) => walk(c, s),
                    _ => {}
                }
            }
        }
        walk(self, &mut s);
        s
    }

    /// Replace the children with one text node.
    pub fn set_text(&mut self, text: &str) {
        self.children = vec![Node::Text(text.to_string())];
    }

    /// Paths (from this element) of every descendant-or-self element with this name, in
    /// document order.
    pub fn find_all(&self, ns: &str, local: &str) -> Vec<Vec<usize>> {
        self.paths_where(&|e| e.is(ns, local))
    }

    /// The path of the first descendant-or-self element, in document order, whose `ID`
    /// attribute is `id`.
    pub fn find_id(&self, id: &str) -> Option<Vec<usize>> {
        self.paths_where(&|e| e.attr("ID") == Some(id))
            .into_iter()
            .next()
    }

    /// Paths of every descendant-or-self element `pred` accepts, in document order.
    fn paths_where(&self, pred: &dyn Fn(&Element) -> bool) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        fn walk(
            e: &Element,
            path: &mut Vec<usize>,
            pred: &dyn Fn(&Element) -> bool,
            out: &mut Vec<Vec<usize>>,
        ) {
            if pred(e) {
                out.push(path.clone());
            }
            for (i, c) in e.elements().enumerate() {
                path.push(i);
                walk(c, path, pred, out);
                path.pop();
            }
        }
        walk(self, &mut Vec::new(), pred, &mut out);
        out
    }

    /// Every value of an attribute named `local` (unqualified) in the tree, for duplicate-ID checks.
    pub fn all_attr_values(&self, local: &str) -> Vec<String> {
        let mut out = Vec::new();
        fn walk(e: &Element, local: &str, out: &mut Vec<String>) {
            if let Some(v) = e.attr(local) {
                out.push(v.to_string());
            }
            for c in e.elements() {
                walk(c, local, out);
            }
        }
        walk(self, local, &mut out);
        out
    }

    /// The element at this path of child-element indexes.
    pub fn at(&self, path: &[usize]) -> Option<&Element> {
        let mut e = self;
        for &i in path {
            e = e.elements().nth(i)?;
        }
        Some(e)
    }

    /// The element at this path of child-element indexes, mutably.
    pub fn at_mut(&mut self, path: &[usize]) -> Option<&mut Element> {
        let mut e = self;
        for &i in path {
            e = e.elements_mut().nth(i)?;
        }
        Some(e)
    }

    /// The namespaces in scope at `path` (declarations of the ancestors and of the element).
    pub fn scope_at(&self, path: &[usize]) -> Scope {
        let mut scope: Scope = [(Some("xml".to_string()), NS_XML.to_string())]
            .into_iter()
            .collect();
        let mut e = self;
        for (k, v) in &e.ns_decls {
            scope.insert(k.clone(), v.clone());
        }
        for &i in path {
            match e.elements().nth(i) {
                Some(c) => e = c,
                None => break,
            }
            for (k, v) in &e.ns_decls {
                scope.insert(k.clone(), v.clone());
            }
        }
        scope
    }

    /// Declare on this element every namespace its subtree uses but does not declare, taking
    /// the URIs from `scope`: the element can then be moved anywhere.
    pub fn materialize_namespaces(&mut self, scope: &Scope) {
        let mut used: Vec<Option<String>> = Vec::new();
        fn walk(e: &Element, declared: &[Option<String>], used: &mut Vec<Option<String>>) {
            let mut declared = declared.to_vec();
            declared.extend(e.ns_decls.iter().map(|(p, _)| p.clone()));
            let mut names = vec![e.prefix.clone()];
            names.extend(
                e.attrs
                    .iter()
                    .filter(|a| a.prefix.is_some())
                    .map(|a| a.prefix.clone()),
            );
            for p in names {
                if p.as_deref() != Some("xml") && !declared.contains(&p) && !used.contains(&p) {
                    used.push(p);
                }
            }
            for c in e.elements() {
                walk(c, &declared, used);
            }
        }
        walk(self, &[], &mut used);
        for p in used {
            if let Some(uri) = scope.get(&p) {
                self.ns_decls.push((p, uri.clone()));
            }
        }
    }

    /// Serialise as written (prefixes and declarations where they are).
    pub fn to_xml(&self) -> String {
        let mut s = String::new();
        self.write_xml(&mut s);
        s
    }

    fn write_xml(&self, s: &mut String) {
        s.push('<');
        s.push_str(&self.qname());
        for (p, uri) in &self.ns_decls {
            match p {
                Some(p) => s.push_str(&format!(" xmlns:{p}=\"{}\"", escape_attr(uri))),
                None => s.push_str(&format!(" xmlns=\"{}\"", escape_attr(uri))),
            }
        }
        for a in &self.attrs {
            let name = match &a.prefix {
                Some(p) => format!("{p}:{}", a.local),
                None => a.local.clone(),
            };
            s.push_str(&format!(" {name}=\"{}\"", escape_attr(&a.value)));
        }
        if self.children.is_empty() {
            s.push_str("/>");
            return;
        }
        s.push('>');
        for n in &self.children {
            match n {
                Node::Element(e) => e.write_xml(s),
                Node::Text(t) => s.push_str(&escape_text(t)),
                Node::Comment(c) => s.push_str(&format!("<!--{c}-->")),
                Node::Pi(t, d) if d.is_empty() => s.push_str(&format!("<?{t}?>")),
                Node::Pi(t, d) => s.push_str(&format!("<?{t} {d}?>")),
            }
        }
        s.push_str(&format!("</{}>", self.qname()));
    }
}

/// c14n escaping of attribute values.
pub fn escape_attr(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    push_escaped_attr(&mut s, v);
    s
}

/// [`escape_attr`] onto `s`.
fn push_escaped_attr(s: &mut String, v: &str) {
    if !v.contains(['&', '<', '"', '\t', '\n', '\r']) {
        s.push_str(v);
        return;
    }
    for c in v.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '"' => s.push_str("&quot;"),
            '\t' => s.push_str("&#x9;"),
            '\n' => s.push_str("&#xA;"),
            '\r' => s.push_str("&#xD;"),
            c => s.push(c),
        }
    }
}

/// c14n escaping of text.
pub fn escape_text(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    push_escaped_text(&mut s, v);
    s
}

/// [`escape_text`] onto `s`.
fn push_escaped_text(s: &mut String, v: &str) {
    if !v.contains(['&', '<', '>', '\r']) {
        s.push_str(v);
        return;
    }
    for c in v.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '\r' => s.push_str("&#xD;"),
            c => s.push(c),
        }
    }
}

/// Exclusive XML Canonicalization 1.0, without comments, of the element at `path` in the
/// document `root`, leaving out the subtree at `exclude` (the enveloped signature), with the
/// InclusiveNamespaces `prefixes` (`#default` for the default namespace).
pub fn exc_c14n(
    root: &Element,
    path: &[usize],
    exclude: Option<&[usize]>,
    prefixes: &[String],
) -> Option<String> {
    let apex = root.at(path)?;
    // The namespaces in scope at the apex's parent: the `xml` prefix, then the declarations of
    // the root and of every ancestor (a later one shadows an earlier one).
    let mut scope = Borrowed::default();
    scope.push(Some("xml"), NS_XML);
    if !path.is_empty() {
        let mut e = root;
        for &i in &path[..path.len() - 1] {
            for (k, v) in &e.ns_decls {
                scope.push(k.as_deref(), v);
            }
            e = e.elements().nth(i)?;
        }
        for (k, v) in &e.ns_decls {
            scope.push(k.as_deref(), v);
        }
    }
    let inclusive: Vec<Option<&str>> = prefixes
        .iter()
        .map(|p| (p != "#default").then_some(p.as_str()))
        .collect();
    let exclude_rel: Option<&[usize]> = exclude.and_then(|ex| ex.strip_prefix(path));
    let mut out = String::with_capacity(4096);
    c14n_element(
        apex,
        &mut scope,
        &mut Borrowed::default(),
        &inclusive,
        exclude_rel,
        &mut Vec::new(),
        &mut out,
    );
    Some(out)
}

/// Namespace bindings borrowed from a tree while it is canonicalised: each prefix's stack of
/// URIs, pushed where an element declares it and popped at its end (nothing is copied).
#[derive(Default)]
struct Borrowed<'a> {
    map: std::collections::HashMap<Option<&'a str>, Vec<&'a str>, foldhash::fast::FixedState>,
}

impl<'a> Borrowed<'a> {
    fn push(&mut self, prefix: Option<&'a str>, uri: &'a str) {
        self.map.entry(prefix).or_default().push(uri);
    }
    fn pop(&mut self, prefix: Option<&'a str>) {
        if let Some(v) = self.map.get_mut(&prefix) {
            v.pop();
        }
    }
    fn get(&self, prefix: Option<&'a str>) -> Option<&'a str> {
        self.map.get(&prefix).and_then(|v| v.last().copied())
    }
}

/// One element of the canonical form. `scope` holds the namespaces in scope, `rendered` those
/// an output ancestor declared; both are pushed here and popped before returning.
fn c14n_element<'a>(
    e: &'a Element,
    scope: &mut Borrowed<'a>,
    rendered: &mut Borrowed<'a>,
    inclusive: &[Option<&'a str>],
    exclude: Option<&[usize]>,
    path: &mut Vec<usize>,
    out: &mut String,
) {
    for (k, v) in &e.ns_decls {
        scope.push(k.as_deref(), v);
    }
    let mut utilized: Vec<Option<&'a str>> = Vec::with_capacity(4);
    utilized.push(e.prefix.as_deref());
    for a in &e.attrs {
        if a.prefix.is_some() && !utilized.contains(&a.prefix.as_deref()) {
            utilized.push(a.prefix.as_deref());
        }
    }
    for &p in inclusive {
        if !utilized.contains(&p) && scope.get(p).is_some() {
            utilized.push(p);
        }
    }
    let mut decls: Vec<(Option<&'a str>, &'a str)> = Vec::with_capacity(utilized.len());
    for p in utilized {
        if p == Some("xml") {
            continue;
        }
        let uri = scope.get(p).unwrap_or_default();
        let already = rendered.get(p);
        if p.is_none() && uri.is_empty() {
            // xmlns="" only undoes a default namespace an output ancestor rendered.
            if already.is_some_and(|u| !u.is_empty()) {
                decls.push((None, ""));
            }
            continue;
        }
        if already != Some(uri) {
            decls.push((p, uri));
        }
    }
    for &(p, uri) in &decls {
        rendered.push(p, uri);
    }
    // The default namespace first, then by prefix (None sorts before every Some).
    decls.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut attrs: Vec<&Attr> = e.attrs.iter().collect();
    attrs.sort_by(|a, b| {
        (a.ns.as_deref().unwrap_or(""), a.local.as_str())
            .cmp(&(b.ns.as_deref().unwrap_or(""), b.local.as_str()))
    });

    let push_qname = |out: &mut String, prefix: Option<&str>, local: &str| {
        if let Some(p) = prefix {
            out.push_str(p);
            out.push(':');
        }
        out.push_str(local);
    };
    out.push('<');
    push_qname(out, e.prefix.as_deref(), &e.local);
    for &(p, uri) in &decls {
        out.push_str(" xmlns");
        if let Some(p) = p {
            out.push(':');
            out.push_str(p);
        }
        out.push_str("=\"");
        push_escaped_attr(out, uri);
        out.push('"');
    }
    for a in attrs {
        out.push(' ');
        push_qname(out, a.prefix.as_deref(), &a.local);
        out.push_str("=\"");
        push_escaped_attr(out, &a.value);
        out.push('"');
    }
    out.push('>');
    let mut idx = 0;
    for n in &e.children {
        match n {
            Node::Element(c) => {
                path.push(idx);
                idx += 1;
                if exclude != Some(path.as_slice()) {
                    c14n_element(c, scope, rendered, inclusive, exclude, path, out);
                }
                path.pop();
            }
            Node::Text(t) => push_escaped_text(out, t),
            Node::Comment(_) => {}
            Node::Pi(t, d) => {
                out.push_str("<?");
                out.push_str(t);
                if !d.is_empty() {
                    out.push(' ');
                    out.push_str(d);
                }
                out.push_str("?>");
            }
        }
    }
    out.push_str("</");
    push_qname(out, e.prefix.as_deref(), &e.local);
    out.push('>');
    for &(p, _) in &decls {
        rendered.pop(p);
    }
    for (k, _) in &e.ns_decls {
        scope.pop(k.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_prefixes_and_resolves_namespaces() {
        let doc = parse(
            r#"<a:r xmlns:a="urn:a" xmlns="urn:d"><b x="1" a:y="2">t&amp;u</b><!--c--></a:r>"#,
        )
        .unwrap();
        assert_eq!(doc.qname(), "a:r");
        assert!(doc.is("urn:a", "r"));
        let b = doc.elements().next().unwrap();
        assert_eq!(b.ns.as_deref(), Some("urn:d"));
        assert_eq!(b.attrs[1].ns.as_deref(), Some("urn:a"));
        assert_eq!(b.text(), "t&u");
    }

    #[test]
    fn refuses_doctype_and_unknown_entities_and_bad_nesting() {
        assert_eq!(
            parse(r#"<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>"#),
            Err(XmlError::Doctype)
        );
        assert!(matches!(parse("<r>&x;</r>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("<r><a></r>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("<p:r/>"), Err(XmlError::UnboundPrefix(_))));
        assert!(matches!(parse("<r/><r/>"), Err(XmlError::Malformed(_))));
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert_eq!(parse(&deep), Err(XmlError::TooDeep));
    }

    #[test]
    fn comments_do_not_split_text() {
        let doc = parse("<n>admin@example.com<!---->.evil.com</n>").unwrap();
        assert_eq!(doc.text(), "admin@example.com.evil.com");
    }

    #[test]
    fn exclusive_c14n_known_answers() {
        // W3C xml-exc-c14n §2.2 style: only visibly used namespaces, sorted attributes,
        // empty elements expanded, comments dropped, the excluded subtree left out.
        let xml = "<n0:pdu xmlns:n0=\"http://a.example\" xmlns:n1=\"http://b.example\">\r\n<n1:elem2 xmlns:n3=\"urn:n3\" b=\"2\" a=\"1&#9;x\"><!-- c --><n1:leaf/></n1:elem2><n1:gone/></n0:pdu>";
        let doc = parse(xml).unwrap();
        let c = exc_c14n(&doc, &[0], None, &[]).unwrap();
        assert_eq!(
            c,
            "<n1:elem2 xmlns:n1=\"http://b.example\" a=\"1&#x9;x\" b=\"2\"><n1:leaf></n1:leaf></n1:elem2>"
        );
        let whole = exc_c14n(&doc, &[], Some(&[1]), &[]).unwrap();
        assert_eq!(
            whole,
            "<n0:pdu xmlns:n0=\"http://a.example\">\n<n1:elem2 xmlns:n1=\"http://b.example\" a=\"1&#x9;x\" b=\"2\"><n1:leaf></n1:leaf></n1:elem2></n0:pdu>"
        );
        // InclusiveNamespaces PrefixList renders an unused but listed prefix.
        let incl = exc_c14n(&doc, &[0], None, &["n3".to_string()]).unwrap();
        assert!(
            incl.starts_with("<n1:elem2 xmlns:n1=\"http://b.example\" xmlns:n3=\"urn:n3\""),
            "{incl}"
        );
    }

    #[test]
    fn default_namespace_handling() {
        let doc = parse(r#"<r xmlns="urn:d"><c xmlns=""><g/></c></r>"#).unwrap();
        assert_eq!(
            exc_c14n(&doc, &[], None, &[]).unwrap(),
            r#"<r xmlns="urn:d"><c xmlns=""><g></g></c></r>"#
        );
        assert_eq!(exc_c14n(&doc, &[0], None, &[]).unwrap(), "<c><g></g></c>");
    }

    #[test]
    fn round_trip_serialisation_keeps_the_canonical_form() {
        let xml = r#"<a:r xmlns:a="urn:a"><a:b c="x&quot;y">t &lt; u<?pi data?></a:b></a:r>"#;
        let doc = parse(xml).unwrap();
        let again = parse(&doc.to_xml()).unwrap();
        assert_eq!(
            exc_c14n(&doc, &[], None, &[]),
            exc_c14n(&again, &[], None, &[])
        );
    }
}

#[cfg(test)]
mod hostile_input {
    use super::*;
    use std::time::Instant;

    /// Many namespace declarations (spread over nested wrappers, as one element may carry only
    /// so many) and many elements below them: each element must not copy every declaration in
    /// scope (that made a 575 KB post cost minutes of CPU).
    pub(crate) fn many_namespaces_and_elements(
        levels: usize,
        per_level: usize,
        elements: usize,
    ) -> String {
        let mut s = String::new();
        for l in 0..levels {
            s.push_str(&format!("<w{l}"));
            for i in 0..per_level {
                s.push_str(&format!(" xmlns:p{l}x{i}=\"u:{l}:{i}\""));
            }
            s.push('>');
        }
        for _ in 0..elements {
            s.push_str("<p0x0:e/>");
        }
        for l in (0..levels).rev() {
            s.push_str(&format!("</w{l}>"));
        }
        s
    }

    #[test]
    fn parsing_and_canonicalising_are_linear_in_namespaces_times_elements() {
        let doc = many_namespaces_and_elements(50, 250, 15_000);
        assert!(doc.len() < MAX_XML_BYTES, "{}", doc.len());
        let t = Instant::now();
        let root = parse(&doc).unwrap();
        let c14n = exc_c14n(&root, &[], None, &[]).unwrap();
        assert!(c14n.contains("<p0x0:e xmlns:p0x0=\"u:0:0\"></p0x0:e>"));
        // Quadratic code took tens of seconds here; linear code takes milliseconds (in a
        // debug build). The bound is loose so a loaded machine does not fail it.
        assert!(t.elapsed().as_secs_f64() < 5.0, "took {:?}", t.elapsed());
    }

    #[test]
    fn many_attributes_on_one_element_are_refused_quickly() {
        let mut s = String::from("<r");
        for i in 0..60_000 {
            s.push_str(&format!(" a{i}=\"\""));
        }
        s.push_str("/>");
        let t = Instant::now();
        assert!(matches!(parse(&s), Err(XmlError::TooManyAttributes)));
        assert!(t.elapsed().as_secs_f64() < 2.0, "took {:?}", t.elapsed());
        let dup = "<r a=\"1\" a=\"2\"/>";
        assert!(matches!(parse(dup), Err(XmlError::Malformed(_))));
        // Past the first sixteen names, a set finds the repeat; its absence passes.
        let named = |names: &[usize]| {
            let attrs: String = names.iter().map(|i| format!(" a{i}=\"\"")).collect();
            parse(&format!("<r{attrs}/>"))
        };
        let distinct: Vec<usize> = (0..40).collect();
        assert_eq!(named(&distinct).unwrap().attrs.len(), 40);
        for (at, again) in [(20, 3), (39, 25), (15, 0)] {
            let mut names = distinct.clone();
            names[at] = again;
            assert!(
                matches!(named(&names), Err(XmlError::Malformed(m)) if m.contains(&format!("a{again}"))),
                "a{again} repeated at {at}"
            );
        }
    }

    #[test]
    fn values_are_normalised_and_unescaped_whether_or_not_they_need_it() {
        let doc =
            parse("<r a=\"x\ty\nz\r\" b=\"&amp;&#9;\" c=\"plain\">one\r\ntwo\rthree &lt;</r>")
                .unwrap();
        assert_eq!(doc.attr("a"), Some("x y z "));
        assert_eq!(doc.attr("b"), Some("&\t"));
        assert_eq!(doc.attr("c"), Some("plain"));
        assert_eq!(doc.text(), "one\ntwo\nthree <");
    }
}
