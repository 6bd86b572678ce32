using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace TokenAuth.Requests
{
    /// <summary>A request body. Each attempt gets fresh content; a streamed body can be sent once only.</summary>
    public abstract class RequestBody
    {
        /// <summary>False when the body cannot be sent again, so the request is never retried.</summary>
        public virtual bool Replayable => true;

        /// <summary>JSON from any object System.Text.Json can serialise (dictionaries, lists, plain objects).</summary>
        public static RequestBody Json(object? value) => new BytesBody(JsonSerializer.SerializeToUtf8Bytes(value, value?.GetType() ?? typeof(object)), "application/json; charset=utf-8");

        /// <summary>application/x-www-form-urlencoded from name/value pairs.</summary>
        public static RequestBody Form(IEnumerable<KeyValuePair<string, string>> fields) => new FormBody(fields);

        public static RequestBody Text(string text, string contentType = "text/plain; charset=utf-8") => new BytesBody(Encoding.UTF8.GetBytes(text), contentType);

        public static RequestBody Bytes(byte[] bytes, string contentType = "application/octet-stream") => new BytesBody(bytes, contentType);

        /// <summary>
        /// multipart/form-data, as Invoke-RestMethod -Form sends it: a text value is a field, a file a file part with its
        /// name (application/octet-stream), and a list of values a part for each, under the same name. Files are read
        /// as they are sent, and opened afresh for each attempt.
        /// </summary>
        public static RequestBody Multipart(IEnumerable<KeyValuePair<string, object?>> fields) => new MultipartBody(fields);

        /// <summary>A file's bytes as they are sent (-InFile), opened afresh for each attempt, so the request can be retried.</summary>
        public static RequestBody File(string path, string contentType = "application/octet-stream") => new FileBody(path, contentType);

        /// <summary>A body read from a stream as it is sent: never buffered, never retried.</summary>
        public static RequestBody Stream(Stream stream, string contentType = "application/octet-stream") => new StreamBody(stream, contentType);

        internal abstract HttpContent CreateContent();

        /// <summary>The body for debug logs: JSON and forms with sensitive fields masked, anything else by size and type only.</summary>
        internal virtual string DescribeForLog() => "(a stream, not shown)";

        private sealed class BytesBody : RequestBody
        {
            private readonly byte[] _bytes;
            private readonly string _contentType;

            public BytesBody(byte[] bytes, string contentType)
            {
                _bytes = bytes;
                _contentType = contentType;
            }

            internal override HttpContent CreateContent()
            {
                var content = new ByteArrayContent(_bytes);
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(_contentType);
                return content;
            }

            // Free text can carry anything, so only JSON, whose field names say what is secret, is shown.
            internal override string DescribeForLog() =>
                (_contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) && _bytes.Length <= 4096
                    ? Logging.Redaction.RedactJson(Encoding.UTF8.GetString(_bytes))
                    : null)
                ?? $"({_bytes.Length} bytes of {_contentType}, not shown)";
        }

        private sealed class FormBody : RequestBody
        {
            private readonly List<KeyValuePair<string, string>> _fields;

            public FormBody(IEnumerable<KeyValuePair<string, string>> fields)
            {
                _fields = new List<KeyValuePair<string, string>>(fields);
            }

            internal override HttpContent CreateContent() => new FormUrlEncodedContent(_fields);

            internal override string DescribeForLog()
            {
                var text = new StringBuilder();
                foreach (var field in _fields)
                {
                    if (text.Length > 0) text.Append('&');
                    text.Append(field.Key).Append('=').Append(Logging.Redaction.IsSensitiveName(field.Key) ? Logging.Redaction.Mask : field.Value);
                }

                return text.ToString();
            }
        }

        private sealed class MultipartBody : RequestBody
        {
            private readonly List<KeyValuePair<string, object?>> _fields;

            public MultipartBody(IEnumerable<KeyValuePair<string, object?>> fields)
            {
                _fields = new List<KeyValuePair<string, object?>>(fields);
            }

            internal override HttpContent CreateContent()
            {
                var content = new MultipartFormDataContent();
                try
                {
                    foreach (var field in _fields)
                    {
                        foreach (var value in field.Value is IEnumerable<object?> values && !(field.Value is string) ? values : new[] { field.Value })
                        {
                            content.Add(Part(field.Key, value));
                        }
                    }
                }
                catch
                {
                    // The files opened already are closed with it.
                    content.Dispose();
                    throw;
                }

                return content;
            }

            private static HttpContent Part(string name, object? value)
            {
                if (value is FileInfo file)
                {
                    var part = new StreamContent(OpenUpload(file.FullName));
                    part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    part.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = Quoted(name), FileName = Quoted(file.Name) };
                    return part;
                }

                var text = new StringContent(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
                text.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = Quoted(name) };
                return text;
            }

            /// <summary>A quoted name: a file name may hold anything, but never a line break that would start a header of its own.</summary>
            private static string Quoted(string value)
            {
                var text = new StringBuilder("\"", value.Length + 2);
                foreach (var c in value)
                {
                    text.Append(char.IsControl(c) || c == '"' || c == '\\' ? '_' : c);
                }

                return text.Append('"').ToString();
            }

            internal override string DescribeForLog()
            {
                var parts = new StringBuilder();
                foreach (var field in _fields)
                {
                    if (parts.Length > 0) parts.Append(", ");
                    parts.Append(field.Key).Append(field.Value is FileInfo file ? $" (file {file.Name}, {file.Length} bytes)"
                        : field.Value is IEnumerable<object?> && !(field.Value is string) ? " (several values)"
                        : Logging.Redaction.IsSensitiveName(field.Key) ? "=" + Logging.Redaction.Mask : "=(a value)");
                }

                return $"multipart/form-data: {parts}";
            }
        }

        private sealed class FileBody : RequestBody
        {
            private readonly string _path;
            private readonly string _contentType;

            public FileBody(string path, string contentType)
            {
                _path = path;
                _contentType = contentType;
            }

            internal override HttpContent CreateContent()
            {
                var content = new StreamContent(OpenUpload(_path));
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(_contentType);
                return content;
            }

            internal override string DescribeForLog() => $"(the file {Path.GetFileName(_path)}, not shown)";
        }

        /// <summary>
        /// A file to send, opened for this attempt. One that cannot be read is the caller's mistake, named as such, never
        /// taken for a connection that failed (and retried).
        /// </summary>
        private static FileStream OpenUpload(string path)
        {
            try
            {
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new Errors.InvalidRequestException(null, $"The file to send, '{path}', cannot be read: {ex.Message}");
            }
        }

        private sealed class StreamBody : RequestBody
        {
            private readonly Stream _stream;
            private readonly string _contentType;
            private bool _used;

            public StreamBody(Stream stream, string contentType)
            {
                _stream = stream;
                _contentType = contentType;
            }

            public override bool Replayable => false;

            internal override HttpContent CreateContent()
            {
                if (_used)
                {
                    throw new InvalidOperationException("A streamed request body can be sent only once.");
                }

                _used = true;
                var content = new StreamContent(_stream);
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(_contentType);
                return content;
            }
        }
    }
}
