//! One column of an extra table. The column lists are fixed, so they are constants next to the
//! rows they describe (`rows::*::COLUMNS`); this file is the type alone so that `rows` and the
//! catalogue can both name it without importing each other.

use crate::feed::columns::EdmType;

/// One column of an extra table; the column lists are fixed, so they are constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableColumn {
    pub name: &'static str,
    pub edm_type: EdmType,
    pub nullable: bool,
    /// Part of the table's entity key.
    pub key: bool,
}

impl TableColumn {
    /// A key column (never null).
    pub const fn key(name: &'static str, edm_type: EdmType) -> Self {
        Self {
            name,
            edm_type,
            nullable: false,
            key: true,
        }
    }

    /// A column that is never null but not part of the key.
    pub const fn required(name: &'static str, edm_type: EdmType) -> Self {
        Self {
            name,
            edm_type,
            nullable: false,
            key: false,
        }
    }

    /// A column that may be null.
    pub const fn optional(name: &'static str, edm_type: EdmType) -> Self {
        Self {
            name,
            edm_type,
            nullable: true,
            key: false,
        }
    }
}
