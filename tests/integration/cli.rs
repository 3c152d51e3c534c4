//! CLI behaviour shared by every command. `main.rs` declared this module before the file existed;
//! the output commands' CLI tests live in `cli_outputs.rs`.
