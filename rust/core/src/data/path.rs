//! Where a value sits inside the value being converted or checked (`address.zip`, `tags[2]`), for
//! error messages. Built as a chain of borrowed links while descending, so that nothing is
//! formatted unless an error names the place (formatting every array element's path cost more
//! than checking the element).

use std::fmt;

/// A place inside a value: the value itself, a field of a place, or an item of a place.
#[derive(Clone, Copy)]
pub enum ValuePath<'a> {
    /// The value itself (messages say "value", or nothing).
    Root,
    /// Field `name` of the parent (`address.zip`; just `zip` when the parent is the root).
    Field(&'a ValuePath<'a>, &'a str),
    /// An item of the parent, shown in brackets (`tags[2]`, `prices[key 0]`).
    Item(&'a ValuePath<'a>, &'a dyn fmt::Display),
}

impl<'a> ValuePath<'a> {
    /// The path of field `name` of the value itself.
    pub fn field(name: &'a str) -> Self {
        ValuePath::Field(&ValuePath::Root, name)
    }

    /// Whether the path prints as nothing (the value itself).
    pub fn is_empty(&self) -> bool {
        match self {
            ValuePath::Root => true,
            ValuePath::Field(parent, name) => parent.is_empty() && name.is_empty(),
            ValuePath::Item(..) => false,
        }
    }
}

impl fmt::Display for ValuePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValuePath::Root => Ok(()),
            ValuePath::Field(parent, name) if parent.is_empty() => f.write_str(name),
            ValuePath::Field(parent, name) => write!(f, "{parent}.{name}"),
            ValuePath::Item(parent, item) => write!(f, "{parent}[{item}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_as_kafka_names_places() {
        let address = ValuePath::field("address");
        let zip = ValuePath::Field(&address, "zip");
        assert_eq!(zip.to_string(), "address.zip");
        let tags = ValuePath::field("tags");
        let second = ValuePath::Item(&tags, &2);
        assert_eq!(second.to_string(), "tags[2]");
        assert_eq!(ValuePath::Field(&second, "x").to_string(), "tags[2].x");
        assert_eq!(ValuePath::Item(&ValuePath::Root, &0).to_string(), "[0]");
        assert!(ValuePath::Root.is_empty() && ValuePath::field("").is_empty() && !zip.is_empty());
    }
}
