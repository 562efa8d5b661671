//! A YAML (or JSON) document as a small tree that remembers the line of every node
//! and keeps every mapping entry in file order, duplicates included.
//!
//! Why not a ready-made YAML value type: those drop duplicate keys silently and most
//! forget where a node was written, and the desired-state checks need both (a
//! duplicate is an error to report, and every error names its line). So the tree is
//! built here from the parser's events, which carry spans.
//!
//! Scalars are kept as written (text, plus whether they were plain); the checks decide
//! what a scalar means where it appears, so `"1"` and `1` can be told apart.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

/// The most nodes a document may expand to (aliases included): a guard against
/// alias bombs, far above any real desired-state file.
const MAX_NODES: usize = 500_000;

/// The deepest nesting accepted; desired-state files need four levels.
const MAX_DEPTH: usize = 64;

/// One node with the 1-based line where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    /// 1-based line of the node's first character.
    pub line: usize,
    /// What the node is.
    pub kind: Kind,
}

/// The shape of a node.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    /// A scalar as written; `plain` is false for quoted and block scalars.
    Scalar {
        /// The text, quotes and escapes resolved.
        text: String,
        /// Whether it was written without quotes (so `true`, `5`, `~` keep their meaning).
        plain: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order, duplicate keys kept.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The scalar's text, unless the node is not a scalar or is null.
    pub fn text(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } if !self.is_null() => Some(text),
            _ => None,
        }
    }

    /// Whether the node is YAML's null (`~`, `null`, or nothing at all).
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, plain: true }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A plain scalar's text (`true`, `5`), for values that must not be quoted.
    pub fn plain(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, plain: true } => Some(text),
            _ => None,
        }
    }

    /// What the node is, in words for error messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Scalar { .. } if self.is_null() => "nothing".to_string(),
            Kind::Scalar { text, .. } if text.trim().is_empty() => "an empty string".to_string(),
            Kind::Scalar { text, .. } => format!("`{text}`"),
            Kind::Seq(_) => "a list".to_string(),
            Kind::Map(_) => "a mapping".to_string(),
        }
    }

    /// How many nodes the tree holds.
    fn size(&self) -> usize {
        match &self.kind {
            Kind::Scalar { .. } => 1,
            Kind::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Kind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.size() + v.size())
                    .sum::<usize>()
            }
        }
    }
}

/// A document that is not YAML, with where the parser stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong, lowercase.
    pub message: String,
}

/// A collection being built.
struct Frame {
    line: usize,
    anchor: usize,
    kind: Kind,
    /// For mappings: the key read, waiting for its value.
    key: Option<Node>,
}

/// Parses `text` into a tree; `Ok(None)` for a file with no document at all.
pub(super) fn load(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut root: Option<Node> = None;
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut nodes = 0usize;
    let mut documents = 0usize;

    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| SyntaxError {
            line: e.marker().line().max(1),
            message: format!(
                "invalid YAML: {} (column {})",
                e.info(),
                e.marker().col() + 1
            ),
        })?;
        let line = span.start.line().max(1);
        let done = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        line,
                        message: "a desired-state file holds one YAML document; remove the \
                                  second `---` or split the file"
                            .to_string(),
                    });
                }
                None
            }
            Event::Scalar(value, style, anchor, _tag) => {
                nodes += 1;
                let node = Node {
                    line,
                    kind: Kind::Scalar {
                        text: value.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                };
                Some((node, anchor))
            }
            Event::Alias(id) => {
                let node = anchors.get(&id).cloned().ok_or_else(|| SyntaxError {
                    line,
                    message: "alias to an unknown anchor".to_string(),
                })?;
                nodes += node.size();
                Some((node, 0))
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                nodes += 1;
                if stack.len() >= MAX_DEPTH {
                    return Err(SyntaxError {
                        line,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                let kind = if matches!(event, Event::SequenceStart(..)) {
                    Kind::Seq(Vec::new())
                } else {
                    Kind::Map(Vec::new())
                };
                stack.push(Frame {
                    line,
                    anchor,
                    kind,
                    key: None,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => stack.pop().map(|frame| {
                (
                    Node {
                        line: frame.line,
                        kind: frame.kind,
                    },
                    frame.anchor,
                )
            }),
        };
        if nodes > MAX_NODES {
            return Err(SyntaxError {
                line,
                message: format!("the document expands to more than {MAX_NODES} nodes"),
            });
        }
        let Some((node, anchor)) = done else {
            continue;
        };
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(frame) => match &mut frame.kind {
                Kind::Seq(items) => items.push(node),
                Kind::Map(entries) => match frame.key.take() {
                    None => frame.key = Some(node),
                    Some(key) => entries.push((key, node)),
                },
                // INVARIANT: only sequences and mappings are pushed on the stack.
                Kind::Scalar { .. } => {}
            },
        }
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(line: usize, text: &str, plain: bool) -> Node {
        Node {
            line,
            kind: Kind::Scalar {
                text: text.to_string(),
                plain,
            },
        }
    }

    #[test]
    fn keeps_lines_and_duplicate_keys() {
        let tree = load("a: 1\nb:\n  - x\n  - 'y'\na: 2\n").unwrap().unwrap();
        let Kind::Map(entries) = tree.kind else {
            panic!("not a mapping")
        };
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].0, scalar(1, "a", true));
        assert_eq!(entries[2].0, scalar(5, "a", true));
        assert_eq!(entries[2].1, scalar(5, "2", true));
        let Kind::Seq(items) = &entries[1].1.kind else {
            panic!("not a list")
        };
        assert_eq!(items[0], scalar(3, "x", true));
        assert_eq!(items[1], scalar(4, "y", false));
    }

    #[test]
    fn json_is_yaml() {
        let tree = load("{\n  \"version\": 1,\n  \"resources\": [\n    {\"arn\": \"x\"}\n  ]\n}\n")
            .unwrap()
            .unwrap();
        let Kind::Map(entries) = tree.kind else {
            panic!("not a mapping")
        };
        assert_eq!(entries[0].1, scalar(2, "1", true));
        let Kind::Seq(items) = &entries[1].1.kind else {
            panic!("not a list")
        };
        assert_eq!(items[0].line, 4);
    }

    #[test]
    fn syntax_error_has_its_line() {
        let err = load("a: 1\nb: [1\nc: 2\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
    }

    #[test]
    fn empty_file_has_no_document() {
        assert_eq!(load("").unwrap(), None);
        assert_eq!(load("# only a comment\n").unwrap(), None);
    }

    #[test]
    fn second_document_is_rejected() {
        let err = load("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn aliases_expand_but_bombs_stop() {
        let tree = load("a: &x [1, 2]\nb: *x\n").unwrap().unwrap();
        let Kind::Map(entries) = tree.kind else {
            panic!("not a mapping")
        };
        assert_eq!(entries[0].1.kind, entries[1].1.kind);

        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = load(&bomb).unwrap_err();
        assert!(err.message.contains("more than"), "{}", err.message);
    }

    #[test]
    fn null_and_plain() {
        let tree = load("a:\nb: ~\nc: 'null'\n").unwrap().unwrap();
        let Kind::Map(entries) = tree.kind else {
            panic!("not a mapping")
        };
        assert!(entries[0].1.is_null());
        assert!(entries[1].1.is_null());
        assert!(!entries[2].1.is_null());
        assert_eq!(entries[2].1.text(), Some("null"));
        assert_eq!(entries[2].1.plain(), None);
    }
}
