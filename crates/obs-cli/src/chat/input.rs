//! Where chat input comes from: a line editor on a terminal, plain line reads when stdin is piped.

use std::io::BufRead;
use std::path::PathBuf;

use rustyline::error::ReadlineError;

use crate::CliError;

/// A source of lines.
pub trait LineSource {
    /// The next line (without its end); `None` at end of input (Ctrl-D, EOF).
    fn read_line(&mut self, prompt: &str) -> Result<Option<String>, CliError>;
    /// Whether a person is typing (prompts shown, Ctrl-C cancels replies, errors do not end the command).
    fn interactive(&self) -> bool;
}

/// rustyline with a history file.
pub struct Terminal {
    editor: rustyline::DefaultEditor,
    history: Option<PathBuf>,
}

impl Terminal {
    /// An editor; the input history lives in `history` when given.
    pub fn new(history: Option<PathBuf>) -> Result<Self, CliError> {
        let mut editor =
            rustyline::DefaultEditor::new().map_err(|e| CliError::new(format!("cannot open the terminal: {e}")))?;
        if let Some(path) = &history {
            let _ = editor.load_history(path);
        }
        Ok(Terminal { editor, history })
    }
}

impl LineSource for Terminal {
    fn read_line(&mut self, prompt: &str) -> Result<Option<String>, CliError> {
        match self.editor.readline(prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = self.editor.add_history_entry(line.as_str());
                    if let Some(path) = &self.history {
                        if let Some(dir) = path.parent() {
                            let _ = std::fs::create_dir_all(dir);
                        }
                        let _ = self.editor.save_history(path);
                    }
                }
                Ok(Some(line))
            }
            // Ctrl-C at the prompt clears the line; the session goes on.
            Err(ReadlineError::Interrupted) => Ok(Some(String::new())),
            Err(ReadlineError::Eof) => Ok(None),
            Err(e) => Err(CliError::new(format!("cannot read input: {e}"))),
        }
    }

    fn interactive(&self) -> bool {
        true
    }
}

/// Plain line reads (piped input, tests).
pub struct Piped<R: BufRead> {
    reader: R,
}

impl<R: BufRead> Piped<R> {
    /// Lines from `reader`.
    pub fn new(reader: R) -> Self {
        Piped { reader }
    }
}

impl<R: BufRead> LineSource for Piped<R> {
    fn read_line(&mut self, _prompt: &str) -> Result<Option<String>, CliError> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        Ok(Some(line.trim_end_matches(['\n', '\r']).to_owned()))
    }

    fn interactive(&self) -> bool {
        false
    }
}
