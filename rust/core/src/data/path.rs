//! Where a value sits inside the value being converted or checked (`address.zip`, `tags[2]`), for
//! error messages. Built as a chain of borrowed links while descending, so that nothing is
//! formatted unless an error names the place (formatting every array element's path cost more
//! than checking the element).

use std::fmt;

/// A place inside a value: the value itself, a field of a place, or an item of a place.
#[derive(Clone, Copy)]
pub enum FieldPath<'a> {
    /// The value itself (messages say "value", or nothing).
    Root,
    /// Field `name` of the parent (`address.zip`; just `zip` when the parent is the root).
    Field(&'a FieldPath<'a>, &'a str),
    /// An item of the parent, shown in brackets (`tags[2]`, `prices[key 0]`).
    Item(&'a FieldPath<'a>, &'a dyn fmt::Display),
}

impl<'a> FieldPath<'a> {
    /// The path of field `name` of the value itself.
    pub fn field(name: &'a str) -> Self {
        FieldPath::Field(&FieldPath::Root, name)
    }

    /// Whether the path prints as nothing (the value itself).
    pub fn is_empty(&self) -> bool {
        match self {
            FieldPath::Root => true,
            FieldPath::Field(parent, name) => parent.is_empty() && name.is_empty(),
            FieldPath::Item(..) => false,
        }
    }
}

impl fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldPath::Root => Ok(()),
            FieldPath::Field(parent, name) if parent.is_empty() => f.write_str(name),
            FieldPath::Field(parent, name) => write!(f, "{parent}.{name}"),
            FieldPath::Item(parent, item) => write!(f, "{parent}[{item}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_as_kafka_names_places() {
        let address = FieldPath::field("address");
        let zip = FieldPath::Field(&address, "zip");
        assert_eq!(zip.to_string(), "address.zip");
        let tags = FieldPath::field("tags");
        let second = FieldPath::Item(&tags, &2);
        assert_eq!(second.to_string(), "tags[2]");
        assert_eq!(FieldPath::Field(&second, "x").to_string(), "tags[2].x");
        assert_eq!(FieldPath::Item(&FieldPath::Root, &0).to_string(), "[0]");
        assert!(FieldPath::Root.is_empty() && FieldPath::field("").is_empty() && !zip.is_empty());
    }
}
