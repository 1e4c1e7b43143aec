//! The tables of a data source besides `Issues`: their columns and how their rows come from
//! Jira. Every table has the same-named key columns (`IssueId`, `SprintId`, `VersionId`…), so a
//! BI tool relates them on load.
//!
//! [`catalog`] names a data source's tables and their URLs; [`rows`] turns Jira's JSON into rows
//! (pure, tested beside it); [`query`] resolves a request's options against a table;
//! [`read`] reads a batch of issues for a table, [`dimension`] reads sprints and versions whole;
//! [`prepare`] puts them together for the export engine. [`column`] is the column type they share.

pub mod catalog;
pub mod column;
pub mod dimension;
pub mod prepare;
pub mod query;
pub mod read;
pub mod rows;
