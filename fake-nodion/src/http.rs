//! Just enough HTTP/1.1 to serve one request per connection.

use std::io::{self, BufRead, BufReader, Read, Write};

/// Bounds what a client can make the fake buffer, so a broken client costs little memory.
const MAX_HEAD: u64 = 64 * 1024;
const MAX_BODY: usize = 1024 * 1024;

/// One parsed request.
pub(crate) struct Request {
    /// The request line as received, without its line ending.
    pub line: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header of that name, compared case-insensitively as HTTP requires.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The value of one query parameter (no percent-decoding: the fake's parameters are plain).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value)
    }
}

/// Looks a header up case-insensitively.
pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Why no request could be read.
pub(crate) enum ReadError {
    /// The client closed or timed out before sending anything: nothing to answer.
    Silent,
    /// The client sent something that is not a request we can serve; answer with this status.
    Bad(u16, &'static str),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> ReadError {
        ReadError::Bad(400, "Malformed request")
    }
}

/// Reads one request: request line, headers, and a body framed by Content-Length or chunked.
pub(crate) fn read_request<S: Read + Write>(stream: &mut S) -> Result<Request, ReadError> {
    read_buffered_request(&mut BufReader::new(stream))
}

/// [`read_request`] from a reader the caller keeps, e.g. to pass on whatever was read past the
/// request; a `100 Continue` goes to the reader's inner stream.
pub(crate) fn read_buffered_request<S: Read + Write>(
    reader: &mut BufReader<S>,
) -> Result<Request, ReadError> {
    let mut head_left = MAX_HEAD;

    // RFC 9112 asks servers to skip blank lines before the request line.
    let request_line = loop {
        match read_line(reader, &mut head_left) {
            Ok(None) | Err(_) if head_left == MAX_HEAD => return Err(ReadError::Silent),
            Ok(None) => return Err(ReadError::Bad(400, "Malformed request")),
            Ok(Some(line)) if line.is_empty() => continue,
            Ok(Some(line)) => break line,
            Err(e) => return Err(e),
        }
    };
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Bad(400, "Malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(ReadError::Bad(505, "HTTP version not supported"));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));

    let mut headers = Vec::new();
    loop {
        let Some(line) = read_line(reader, &mut head_left)? else {
            return Err(ReadError::Bad(400, "Truncated headers"));
        };
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Bad(400, "Malformed header"));
        };
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }

    let chunked = header(&headers, "transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let length = match header(&headers, "content-length") {
        Some(_) if chunked => None,
        Some(value) => Some(
            value
                .parse::<usize>()
                .map_err(|_| ReadError::Bad(400, "Invalid Content-Length"))?,
        ),
        None => None,
    };
    if length.is_some_and(|n| n > MAX_BODY) {
        return Err(ReadError::Bad(413, "Request body too large"));
    }
    let wants_body = chunked || length.is_some_and(|n| n > 0);
    if wants_body
        && header(&headers, "expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        // Some clients hold the body back until they hear this.
        let out = reader.get_mut();
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        out.flush()?;
    }
    let body = if chunked {
        read_chunked(reader, &mut head_left)?
    } else {
        let mut body = vec![0; length.unwrap_or(0)];
        reader.read_exact(&mut body)?;
        body
    };

    Ok(Request {
        line: request_line.clone(),
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body,
    })
}

/// Reads one line without its line ending; `None` at end of stream. Fails once the head budget is spent.
fn read_line(reader: &mut impl BufRead, budget: &mut u64) -> Result<Option<String>, ReadError> {
    let mut line = Vec::new();
    let n = reader.take(*budget).read_until(b'\n', &mut line)?;
    *budget -= n as u64;
    if n == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(if *budget == 0 {
            ReadError::Bad(431, "Request header too large")
        } else {
            ReadError::Bad(400, "Truncated request")
        });
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| ReadError::Bad(400, "Request head is not UTF-8"))
}

fn read_chunked(reader: &mut impl BufRead, budget: &mut u64) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let Some(line) = read_line(reader, budget)? else {
            return Err(ReadError::Bad(400, "Truncated chunked body"));
        };
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| ReadError::Bad(400, "Invalid chunk size"))?;
        if size == 0 {
            // Trailers: read and ignore up to the blank line that ends the message.
            while read_line(reader, budget)?.is_some_and(|l| !l.is_empty()) {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(ReadError::Bad(413, "Request body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
    }
}

/// A complete answer to send.
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// A JSON answer.
    pub fn json(status: u16, body: &serde_json::Value) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    /// The error shape the rest of the Nodion API uses: `{"errors": [message]}`.
    pub fn error(status: u16, message: &str) -> Response {
        Response::json(status, &serde_json::json!({ "errors": [message] }))
    }

    /// Sends the whole response.
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        write_head(out, self.status, &self.headers, self.body.len() as u64)?;
        out.write_all(self.body.as_bytes())?;
        out.flush()
    }
}

/// Sends a status line and headers, always with our own framing so every answer ends with the connection.
pub(crate) fn write_head(
    out: &mut impl Write,
    status: u16,
    headers: &[(String, String)],
    content_length: u64,
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    if header(headers, "content-type").is_none() {
        head.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {content_length}\r\nConnection: close\r\n\r\n"
    ));
    out.write_all(head.as_bytes())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}
