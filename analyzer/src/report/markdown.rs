//! The Markdown report: a pull-request comment.
