using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Requests;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Invoke-RestMethod's parameters in the engine's terms, and the engine's answer as Invoke-RestMethod writes it:
    /// the one place that knows what -Body, -Form, -InFile, -Headers, the limits and the paging parameters of
    /// Invoke-AuthenticatedRequest mean. Made once per command: of the parameters it reads, only -Uri changes from item to item.
    /// </summary>
    internal sealed class RestMethodTranslation
    {
        private readonly InvokeAuthenticatedRequestCommand _parameters;
        private readonly PathIntrinsics _paths;
        private readonly bool _methodGiven;

        /// <param name="parameters">The command, its parameters bound.</param>
        /// <param name="paths">Where -InFile and -OutFile are resolved, as PowerShell's current location says.</param>
        /// <param name="methodGiven">Whether -Method was given, rather than left at its default.</param>
        public RestMethodTranslation(InvokeAuthenticatedRequestCommand parameters, PathIntrinsics paths, bool methodGiven)
        {
            _parameters = parameters;
            _paths = paths;
            _methodGiven = methodGiven;
            Paging = new PagingOptions
            {
                Follow = parameters.FollowRelLink,
                MaxLinks = parameters.MaximumFollowRelLink,
                NextLinkPath = parameters.NextLinkPath,
                NextLinkTemplate = parameters.NextLinkTemplate,
                ItemsPath = parameters.ItemsPath,
            };
        }

        /// <summary>The paging asked for: none of it binds from the pipeline, so it is read once for every item.</summary>
        public PagingOptions Paging { get; }

        /// <summary>The form answers are returned in, whether read whole or back from -OutFile.</summary>
        private ResponseMode ResponseMode => _parameters.Raw ? ResponseMode.Text : ResponseMode.Auto;

        /// <summary>Parameters given together that Invoke-RestMethod refuses together; null when there are none.</summary>
        public InvalidRequestException? Conflict()
        {
            var p = _parameters;
            var conflict = new[]
            {
                (p.CustomMethod != null && _methodGiven, "-CustomMethod and -Method: give one"),
                (new[] { p.Body != null, p.Form != null, p.InFile != null }.Count(given => given) > 1, "-Body, -Form and -InFile each give the body: give one"),
                ((p.Resume || p.PassThru) && p.OutFile == null, "-Resume and -PassThru go with -OutFile"),
            }.FirstOrDefault(check => check.Item1);
            return conflict.Item1 ? new InvalidRequestException(null, conflict.Item2 + ", as for Invoke-RestMethod.") : null;
        }

        /// <summary>A file -Body is streamed, not read whole; the caller closes the stream once the request is done.</summary>
        public FileStream? OpenUpload() =>
            (_parameters.Body is PSObject { BaseObject: FileInfo file } ? file : _parameters.Body as FileInfo)?.OpenRead();

        /// <param name="uri">This item's -Uri.</param>
        /// <param name="upload">The stream <see cref="OpenUpload"/> opened, if any.</param>
        /// <param name="timeout">-TimeoutSec's limit on the whole call; null: the session's.</param>
        public ApiRequest ToApiRequest(string uri, Stream? upload, TimeSpan? timeout)
        {
            var p = _parameters;
            var method = p.CustomMethod?.ToUpperInvariant() ?? p.Method;
            var body = p.Body;
            if ((method == "GET" || method == "HEAD") && (p.Body is IDictionary || p.Body is PSObject { BaseObject: IDictionary })
                && PowerShellValues.ToEngine(p.Body) is IDictionary<string, object?> query)
            {
                // As Invoke-RestMethod: a dictionary body of a GET is its query string; any other object stays the body.
                (uri, body) = (UriQuery.Append(uri, query.Select(field => new KeyValuePair<string, string?>(field.Key, Text(field.Value)))), null);
            }

            var apiRequest = new ApiRequest(method, uri)
            {
                Body = upload != null ? RequestBody.Stream(upload, p.ContentType ?? "application/octet-stream")
                    : p.InFile != null ? RequestBody.File(_paths.GetUnresolvedProviderPathFromPSPath(p.InFile), p.ContentType ?? "application/octet-stream")
                    : p.Form != null ? MultipartBody(p.Form)
                    : RequestBodyFrom(body),
                SkipHttpErrorCheck = p.SkipHttpErrorCheck,
                MaxRetries = p.MaximumRetryCount >= 0 ? p.MaximumRetryCount : (int?)null,
                RetryInterval = p.RetryIntervalSec > 0 ? TimeSpan.FromSeconds(p.RetryIntervalSec) : (TimeSpan?)null,
                MaxRedirects = p.MaximumRedirection >= 0 ? p.MaximumRedirection : (int?)null,
                PreserveMethodOnRedirect = p.PreserveHttpMethodOnRedirect,
                HttpVersion = p.HttpVersion,
                ConnectionTimeout = p.ConnectionTimeoutSeconds > 0 ? TimeSpan.FromSeconds(p.ConnectionTimeoutSeconds) : (TimeSpan?)null,
                OperationTimeout = p.OperationTimeoutSeconds > 0 ? TimeSpan.FromSeconds(p.OperationTimeoutSeconds) : (TimeSpan?)null,
                Timeout = timeout,
                OutFile = p.OutFile == null ? null : _paths.GetUnresolvedProviderPathFromPSPath(p.OutFile),
                Resume = p.Resume,
                ResponseMode = ResponseMode,
            };
            foreach (DictionaryEntry header in p.Headers ?? new Hashtable())
            {
                apiRequest.Headers[header.Key.ToString() ?? ""] = header.Value?.ToString() ?? "";
            }

            if (p.UserAgent != null)
            {
                // A header like the caller's others, checked as they are; it wins over one in -Headers, as with Invoke-RestMethod.
                apiRequest.Headers["User-Agent"] = p.UserAgent;
            }

            return apiRequest;
        }

        /// <summary>
        /// What Invoke-RestMethod writes for this answer: nothing for an empty one, nor for a file unless -PassThru reads
        /// it back (as the answer would have been returned); a JSON array is unrolled into the pipeline.
        /// </summary>
        public bool TryGetOutput(ApiResponse response, out object? output, out bool unroll)
        {
            if (response.TryBuildJson(PowerShellValues.PSObjects, out output))
            {
                unroll = true;
                return true;
            }

            var (kind, content) = response.Kind == ResponseKind.File && _parameters.PassThru ? response.ReadOutFile(ResponseMode) : (response.Kind, response.Content);
            var written = kind != ResponseKind.File && kind != ResponseKind.Empty;
            output = written ? PowerShellValues.FromEngine(content) : null;
            unroll = kind == ResponseKind.Json;
            return written;
        }

        /// <summary>-ResponseHeadersVariable's value: the answer's headers by name, whatever the case it is asked in.</summary>
        public static Hashtable HeadersOf(ApiResponse response)
        {
            var headers = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var header in response.Headers)
            {
                headers[header.Key] = header.Value;
            }

            return headers;
        }

        private static string? Text(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture);

        /// <summary>-Form's fields: FileInfo values (and lists of them) are file parts, anything else a field's text.</summary>
        private static RequestBody MultipartBody(IDictionary form) =>
            RequestBody.Multipart(form.Cast<DictionaryEntry>().Select(entry => new KeyValuePair<string, object?>(entry.Key.ToString() ?? "", FormValue(entry.Value))));

        private static object? FormValue(object? value) => (value is PSObject wrapped ? wrapped.BaseObject : value) switch
        {
            string text => text,
            FileInfo file => file,
            IEnumerable values => values.Cast<object?>().Select(FormValue).ToList(),
            var other => other,
        };

        private RequestBody? RequestBodyFrom(object? body)
        {
            var contentType = _parameters.ContentType;
            var value = body is PSObject wrapped ? wrapped.BaseObject : body;
            if (value == null)
            {
                return null;
            }

            if (contentType != null && contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
                && PowerShellValues.ToEngine(body) is IDictionary<string, object?> fields)
            {
                // As Invoke-RestMethod: a dictionary with this content type is sent URL-encoded.
                return RequestBody.Form(fields.Select(field => new KeyValuePair<string, string>(field.Key, Text(field.Value) ?? "")));
            }

            return value switch
            {
                string text => RequestBody.Text(text, contentType ?? "application/json; charset=utf-8"),
                byte[] bytes => RequestBody.Bytes(bytes, contentType ?? "application/octet-stream"),
                _ => RequestBody.Json(PowerShellValues.ToEngine(body)),
            };
        }
    }
}
