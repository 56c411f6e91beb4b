//! Turning raw pty bytes into the text a person would have seen: escape
//! sequences dropped, carriage returns applied, fish's "missing newline"
//! marker removed.

/// Remove ANSI/VT escape sequences (CSI, OSC, charset selection, others).
pub(crate) fn strip_ansi(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != 0x1b {
            out.push(b[i]);
            i += 1;
            continue;
        }
        i = match b.get(i + 1) {
            Some(b'[') => {
                let mut j = i + 2;
                while j < b.len() && !(0x40..=0x7e).contains(&b[j]) {
                    j += 1;
                }
                j + 1
            }
            Some(b']') => {
                let mut j = i + 2;
                loop {
                    match b.get(j) {
                        None => break j,
                        Some(0x07) => break j + 1,
                        Some(0x1b) if b.get(j + 1) == Some(&b'\\') => break j + 2,
                        _ => j += 1,
                    }
                }
            }
            Some(b'(' | b')' | b'#' | b'%') => i + 3,
            Some(_) => i + 2,
            None => i + 1,
        };
    }
    out
}

/// fish draws `⏎`, then spaces to the line's end, then `\r⏎ \r` after every
/// command, so that output without a final newline stays visible. Remove it.
pub(crate) fn strip_fish_eol_marks(b: &[u8]) -> Vec<u8> {
    const MARK: &[u8] = "⏎".as_bytes();
    const TAIL: &[u8] = "\r⏎ \r".as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(MARK) {
            let mut j = i + MARK.len();
            while b.get(j) == Some(&b' ') {
                j += 1;
            }
            if b[j..].starts_with(TAIL) {
                i = j + TAIL.len();
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Stand-ins for the cursor moves elvish redraws its line with, kept
/// through `strip_ansi`: `ESC[nC` (n columns right), `ESC[nD` (left) and
/// `ESC[K` (erase to the end of the line).
const RIGHT: char = '\u{E000}';
const ERASE: char = '\u{E001}';
const LEFT: char = '\u{E002}';

fn keep_cursor_moves(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0x1b && b.get(i + 1) == Some(&b'[') {
            let digits = b[i + 2..].iter().take_while(|c| c.is_ascii_digit()).count();
            match b.get(i + 2 + digits) {
                Some(b'C') => {
                    let n: usize = std::str::from_utf8(&b[i + 2..i + 2 + digits]).unwrap().parse().unwrap_or(1);
                    out.extend(RIGHT.to_string().repeat(n.max(1)).bytes());
                    i += 3 + digits;
                    continue;
                }
                Some(b'D') => {
                    let n: usize = std::str::from_utf8(&b[i + 2..i + 2 + digits]).unwrap().parse().unwrap_or(1);
                    out.extend(LEFT.to_string().repeat(n.max(1)).bytes());
                    i += 3 + digits;
                    continue;
                }
                Some(b'K') if digits == 0 => {
                    out.extend(ERASE.to_string().bytes());
                    i += 3;
                    continue;
                }
                _ => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// One line as a terminal shows it: `\r` returns to column 0 and later
/// characters overwrite, backspace moves left, other controls are dropped.
pub(crate) fn render_line(s: &str) -> String {
    let mut cells: Vec<char> = Vec::new();
    let mut col: usize = 0;
    for c in s.chars() {
        match c {
            '\r' => col = 0,
            '\x08' => col = col.saturating_sub(1),
            RIGHT => {
                col += 1;
                if cells.len() < col {
                    cells.resize(col, ' ');
                }
            }
            ERASE => cells.truncate(col),
            LEFT => col = col.saturating_sub(1),
            c if c.is_control() && c != '\t' => {}
            c => {
                if col < cells.len() {
                    cells[col] = c;
                } else {
                    cells.resize(col, ' ');
                    cells.push(c);
                }
                col += 1;
            }
        }
    }
    let line: String = cells.into_iter().collect();
    line.trim_end().to_string()
}

/// Raw pty bytes → text: escapes removed, each line rendered, `\n` endings.
pub(crate) fn render(raw: &[u8]) -> String {
    let bytes = strip_fish_eol_marks(&strip_ansi(&keep_cursor_moves(raw)));
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<String> = text.split('\n').map(render_line).collect();
    lines.join("\n")
}

/// The output of one command, given everything the pty showed between the
/// previous prompt and the next one: the first line is the echo of what was
/// typed (it must contain `cmd`), the rest is output. A trailing empty
/// line (the cursor sitting at column 0 before the prompt) is dropped.
pub(crate) fn command_output(raw: &[u8], cmd: &str) -> Result<String, String> {
    let text = render(raw);
    let Some((echo, rest)) = text.split_once('\n') else {
        return Err(format!("no end of line after the echoed command in {text:?}"));
    };
    if !echo.contains(cmd.trim()) {
        return Err(format!("the echoed line {echo:?} does not contain the command {cmd:?}"));
    }
    let mut out = rest.to_string();
    match out.rfind('\n') {
        Some(p) if out[p + 1..].trim().is_empty() => out.truncate(p + 1),
        None if out.trim().is_empty() => out.clear(),
        _ => {}
    }
    Ok(out)
}
