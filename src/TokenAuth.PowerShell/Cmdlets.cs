using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Logging;
using TokenAuth.Providers;
using TokenAuth.Requests;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>Get-ProviderToken: a token for the session, from the cache while it is good.</summary>
    [Cmdlet(VerbsCommon.Get, "ProviderToken", DefaultParameterSetName = ByToken)]
    [OutputType(typeof(ProviderToken), typeof(string))]
    public sealed class GetProviderTokenCommand : ProviderCmdlet
    {
        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter]
        public SwitchParameter AsPlainText { get; set; }

        protected override void ProcessRecord() => ForItem(ErrorTarget, () =>
        {
            // -Force also reads the vault again, in case the secret was rotated.
            var request = CreateTokenRequest(rereadSecret: Force);
            var result = Await(TokenAuthSession.Engine.GetTokenAsync(request, Force, Log, Cancellation, CallTimeout));
            if (!AsPlainText)
            {
                var (secretName, vault) = CredentialSource;
                WriteObject(new ProviderToken(result, secretName, vault));
                return;
            }

            foreach (var command in CiMasking.CommandsFor(result.Token.Value, System.Environment.GetEnvironmentVariables()))
            {
                Host.UI.WriteLine(command);
            }

            WriteObject(result.Token.Value);
        });
    }

    /// <summary>Invoke-AuthenticatedRequest: calls a provider's API with the session's token.</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "AuthenticatedRequest", DefaultParameterSetName = ByToken)]
    [OutputType(typeof(PSObject), typeof(string), typeof(byte[]))]
    public sealed class InvokeAuthenticatedRequestCommand : ProviderCmdlet
    {
        [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Uri { get; set; } = "";

        [Parameter]
        [ValidateSet("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")]
        public string Method { get; set; } = "GET";

        /// <summary>Any other method (REPORT, PROPFIND...), as Invoke-RestMethod -CustomMethod.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? CustomMethod { get; set; }

        [Parameter]
        public object? Body { get; set; }

        /// <summary>multipart/form-data, as Invoke-RestMethod -Form: field name to value, a FileInfo (or several) sent as a file part.</summary>
        [Parameter]
        [ValidateNotNull]
        public IDictionary? Form { get; set; }

        /// <summary>The request body read from this file as it is sent.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? InFile { get; set; }

        [Parameter]
        public string? ContentType { get; set; }

        [Parameter]
        public IDictionary? Headers { get; set; }

        [Parameter]
        public string? OutFile { get; set; }

        /// <summary>With -OutFile: continue a download from where the file ends.</summary>
        [Parameter]
        public SwitchParameter Resume { get; set; }

        /// <summary>With -OutFile: write the answer to the pipeline as well.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? UserAgent { get; set; }

        [Parameter]
        [ArgumentCompleter(typeof(HttpVersionCompleter))]
        [ValidateNotNull]
        public Version? HttpVersion { get; set; }

        [Parameter]
        [ValidateRange(0, 50)]
        public int MaximumRedirection { get; set; } = -1;

        [Parameter]
        public SwitchParameter PreserveHttpMethodOnRedirect { get; set; }

        /// <summary>Seconds each attempt may wait for the answer's headers, connecting included.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int ConnectionTimeoutSeconds { get; set; }

        /// <summary>Seconds the answer's body may go without a byte arriving.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int OperationTimeoutSeconds { get; set; }

        [Parameter]
        public string? ResponseHeadersVariable { get; set; }

        [Parameter]
        public string? StatusCodeVariable { get; set; }

        [Parameter]
        public SwitchParameter SkipHttpErrorCheck { get; set; }

        [Parameter]
        [ValidateRange(0, 100)]
        public int MaximumRetryCount { get; set; } = -1;

        /// <summary>Seconds between attempts when the server sends no Retry-After.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int RetryIntervalSec { get; set; }

        [Parameter]
        public SwitchParameter Raw { get; set; }

        [Parameter]
        [Alias("FL")]
        public SwitchParameter FollowRelLink { get; set; }

        [Parameter]
        [Alias("ML")]
        [ValidateRange(1, int.MaxValue)]
        public int MaximumFollowRelLink { get; set; } = int.MaxValue;

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? NextLinkPath { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? NextLinkTemplate { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ItemsPath { get; set; }

        /// <summary>How many piped requests may be in flight at once; results are still written in the order of the input.</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = 1;

        /// <summary>Piped requests started and not yet written, with -ThrottleLimit above 1.</summary>
        private OrderedWindow<InFlight> _window = new OrderedWindow<InFlight>(1);

        /// <summary>The paging asked for: none of it binds from the pipeline, so it is read once for every item.</summary>
        private PagingOptions _paging = new PagingOptions();

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _paging = new PagingOptions
            {
                Follow = FollowRelLink,
                MaxLinks = MaximumFollowRelLink,
                NextLinkPath = NextLinkPath,
                NextLinkTemplate = NextLinkTemplate,
                ItemsPath = ItemsPath,
            };
            _window = new OrderedWindow<InFlight>(ThrottleLimit);
            if (ThrottleLimit > 1 && (OutFile != null || _paging.Applies))
            {
                ThrowTerminatingError(ToErrorRecord(new InvalidRequestException(null,
                    "-ThrottleLimit cannot be combined with -OutFile or with paging (-FollowRelLink, -NextLinkPath, -ItemsPath): "
                    + "those requests write one after another. Leave -ThrottleLimit out for them."), ThrottleLimit));
            }

            var conflict = new[]
            {
                (CustomMethod != null && MyInvocation.BoundParameters.ContainsKey(nameof(Method)), "-CustomMethod and -Method: give one"),
                (new[] { Body != null, Form != null, InFile != null }.Count(given => given) > 1, "-Body, -Form and -InFile each give the body: give one"),
                ((Resume || PassThru) && OutFile == null, "-Resume and -PassThru go with -OutFile"),
            }.FirstOrDefault(check => check.Item1);
            if (conflict.Item1)
            {
                ThrowTerminatingError(ToErrorRecord(new InvalidRequestException(null, conflict.Item2 + ", as for Invoke-RestMethod."), null));
            }
        }

        protected override void ProcessRecord()
        {
            if (ThrottleLimit > 1)
            {
                Start();
                return;
            }

            ForItem(Uri, () =>
            {
                using var upload = OpenUpload();
                var apiRequest = CreateApiRequest(upload);
                if (_paging.Applies)
                {
                    WritePages(apiRequest);
                    return;
                }

                WriteResponse(Await(TokenAuthSession.Engine.SendAsync(CreateTokenRequest(), apiRequest, Log, Cancellation)));
            });
        }

        protected override void EndProcessing()
        {
            while (_window.TakeOldest() is { } oldest)
            {
                Write(oldest);
            }

            base.EndProcessing();
        }

        /// <summary>
        /// Sends this item's request without waiting for it, writes what has finished in the input's order, and waits
        /// only while <see cref="ThrottleLimit"/> requests are in flight (or the window is full). A failure before
        /// sending is queued too, so that errors and results keep the input's order.
        /// </summary>
        private void Start()
        {
            var upload = OpenUpload();
            Task<ApiResponse> response;
            try
            {
                response = TokenAuthSession.Engine.SendAsync(CreateTokenRequest(), CreateApiRequest(upload), Log, Cancellation);
            }
            catch (TokenAuthException ex)
            {
                response = Task.FromException<ApiResponse>(ex);
            }

            _window.Add(new InFlight(Uri, response, upload), response);
            WriteFinished();
            while (!_window.HasRoom)
            {
                Await(_window.AnyFinishes());
                WriteFinished();
            }
        }

        private void WriteFinished()
        {
            while (_window.TakeFinished() is { } finished)
            {
                Write(finished);
            }
        }

        private void Write(InFlight request)
        {
            try
            {
                ForItem(request.Uri, () => WriteResponse(Await(request.Response)));
            }
            finally
            {
                request.Upload?.Dispose();
            }
        }

        /// <summary>Requests still in flight when the pipeline stops early are cancelled, and their uploads closed.</summary>
        protected override void ReleaseUnfinished()
        {
            while (_window.TakeOldest() is { } left)
            {
                left.Upload?.Dispose();
            }
        }

        private sealed class InFlight
        {
            public InFlight(string uri, Task<ApiResponse> response, IDisposable? upload)
            {
                Uri = uri;
                Response = response;
                Upload = upload;
            }

            public string Uri { get; }

            public Task<ApiResponse> Response { get; }

            public IDisposable? Upload { get; }
        }

        /// <summary>A file is streamed, not read whole; the caller closes the stream once the request is done.</summary>
        private System.IO.FileStream? OpenUpload() =>
            (Body is PSObject { BaseObject: System.IO.FileInfo file } ? file : Body as System.IO.FileInfo)?.OpenRead();

        private ApiRequest CreateApiRequest(System.IO.Stream? upload)
        {
            var method = CustomMethod?.ToUpperInvariant() ?? Method;
            var (uri, body) = (Uri, Body);
            if ((method == "GET" || method == "HEAD") && PowerShellValues.ToEngine(Body) is IDictionary<string, object?> query)
            {
                // As Invoke-RestMethod: a dictionary body of a GET is its query string.
                (uri, body) = (WithQuery(Uri, query), null);
            }

            var apiRequest = new ApiRequest(method, uri)
            {
                Body = upload != null ? RequestBody.Stream(upload, ContentType ?? "application/octet-stream")
                    : InFile != null ? RequestBody.File(SessionState.Path.GetUnresolvedProviderPathFromPSPath(InFile), ContentType ?? "application/octet-stream")
                    : Form != null ? MultipartBody(Form)
                    : RequestBodyFrom(body),
                SkipHttpErrorCheck = SkipHttpErrorCheck,
                MaxRetries = MaximumRetryCount >= 0 ? MaximumRetryCount : (int?)null,
                RetryInterval = RetryIntervalSec > 0 ? TimeSpan.FromSeconds(RetryIntervalSec) : (TimeSpan?)null,
                MaxRedirects = MaximumRedirection >= 0 ? MaximumRedirection : (int?)null,
                PreserveMethodOnRedirect = PreserveHttpMethodOnRedirect,
                HttpVersion = HttpVersion,
                ConnectionTimeout = ConnectionTimeoutSeconds > 0 ? TimeSpan.FromSeconds(ConnectionTimeoutSeconds) : (TimeSpan?)null,
                OperationTimeout = OperationTimeoutSeconds > 0 ? TimeSpan.FromSeconds(OperationTimeoutSeconds) : (TimeSpan?)null,
                Timeout = CallTimeout,
                OutFile = OutFile == null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(OutFile),
                Resume = Resume,
                ResponseMode = Raw ? ResponseMode.Text : ResponseMode.Auto,
            };
            foreach (DictionaryEntry header in Headers ?? new Hashtable())
            {
                apiRequest.Headers[header.Key.ToString() ?? ""] = header.Value?.ToString() ?? "";
            }

            if (UserAgent != null)
            {
                // A header like the caller's others, checked as they are; it wins over one in -Headers, as with Invoke-RestMethod.
                apiRequest.Headers["User-Agent"] = UserAgent;
            }

            return apiRequest;
        }

        /// <summary>Each page's items go down the pipeline as the page arrives, so Select-Object -First ends the paging.</summary>
        private void WritePages(ApiRequest apiRequest)
        {
            var pages = TokenAuthSession.Engine.SendPagesAsync(CreateTokenRequest(), apiRequest, _paging, Log, Cancellation).GetAsyncEnumerator();
            try
            {
                while (Await(pages.MoveNextAsync()))
                {
                    WriteResponse(pages.Current);
                }
            }
            finally
            {
                // Between pages nothing is in flight: disposing only ends the iteration.
                pages.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }

        private void WriteResponse(ApiResponse response)
        {
            if (StatusCodeVariable != null)
            {
                SessionState.PSVariable.Set(StatusCodeVariable, response.StatusCode);
            }

            if (ResponseHeadersVariable != null)
            {
                var headers = new Hashtable(StringComparer.OrdinalIgnoreCase);
                foreach (var header in response.Headers)
                {
                    headers[header.Key] = header.Value;
                }

                SessionState.PSVariable.Set(ResponseHeadersVariable, headers);
            }

            if (response.Kind == ResponseKind.File && PassThru)
            {
                // As Invoke-RestMethod -PassThru: the file written is read back as the answer would have been.
                var (kind, content) = response.ReadOutFile();
                WriteObject(PowerShellValues.FromEngine(content), enumerateCollection: kind == ResponseKind.Json);
            }
            else if (response.Kind != ResponseKind.File && response.Kind != ResponseKind.Empty)
            {
                // Arrays are unrolled into the pipeline, as Invoke-RestMethod does.
                WriteObject(PowerShellValues.FromEngine(response.Content), enumerateCollection: response.Kind == ResponseKind.Json);
            }
        }

        private static string WithQuery(string uri, IDictionary<string, object?> fields)
        {
            var query = string.Join("&", fields.Select(field =>
                System.Uri.EscapeDataString(field.Key) + "=" + System.Uri.EscapeDataString(Convert.ToString(field.Value, CultureInfo.InvariantCulture) ?? "")));
            return query.Length == 0 ? uri : uri + (uri.IndexOf('?') >= 0 ? "&" : "?") + query;
        }

        /// <summary>-Form's fields: FileInfo values (and lists of them) are file parts, anything else a field's text.</summary>
        private static RequestBody MultipartBody(IDictionary form) =>
            RequestBody.Multipart(form.Cast<DictionaryEntry>().Select(entry => new KeyValuePair<string, object?>(entry.Key.ToString() ?? "", FormValue(entry.Value))));

        private static object? FormValue(object? value) => (value is PSObject wrapped ? wrapped.BaseObject : value) switch
        {
            string text => text,
            System.IO.FileInfo file => file,
            IEnumerable values => values.Cast<object?>().Select(FormValue).ToList(),
            var other => other,
        };

        private RequestBody? RequestBodyFrom(object? body)
        {
            var value = body is PSObject wrapped ? wrapped.BaseObject : body;
            if (value == null)
            {
                return null;
            }

            if (ContentType != null && ContentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
                && PowerShellValues.ToEngine(body) is IDictionary<string, object?> fields)
            {
                // As Invoke-RestMethod: a dictionary with this content type is sent URL-encoded.
                return RequestBody.Form(fields.Select(field => new KeyValuePair<string, string>(field.Key, Convert.ToString(field.Value, CultureInfo.InvariantCulture) ?? "")));
            }

            return value switch
            {
                string text => RequestBody.Text(text, ContentType ?? "application/json; charset=utf-8"),
                byte[] bytes => RequestBody.Bytes(bytes, ContentType ?? "application/octet-stream"),
                _ => RequestBody.Json(PowerShellValues.ToEngine(body)),
            };
        }
    }

    /// <summary>Revoke-ProviderToken: forgets the session's token and tells the provider where it can be told.</summary>
    [Cmdlet(VerbsSecurity.Revoke, "ProviderToken", DefaultParameterSetName = ByToken, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(TokenRevocation))]
    public sealed class RevokeProviderTokenCommand : ProviderCmdlet
    {
        private const string AllTokens = "All";
        private const string ByCacheEntry = "ByCacheEntry";

        [Parameter(Mandatory = true, ParameterSetName = AllTokens)]
        public SwitchParameter All { get; set; }

        /// <summary>Tokens listed by Get-ProviderTokenCache.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByCacheEntry, ValueFromPipeline = true)]
        public CachedProviderToken[] InputObject { get; set; } = Array.Empty<CachedProviderToken>();

        protected override void ProcessRecord()
        {
            if (ParameterSetName == AllTokens)
            {
                if (ShouldProcess($"{TokenAuthSession.Engine.CachedTokenCount} cached token(s)", "Forget"))
                {
                    WriteObject(new TokenRevocation(TokenAuthSession.Engine.ForgetAll()));
                    TokenAuthSession.Credentials.ForgetAll();
                    TokenAuthSession.ClientCertificates.ForgetAll();
                }

                return;
            }

            if (ParameterSetName == ByCacheEntry)
            {
                foreach (var cached in InputObject)
                {
                    ForItem(cached, () => Revoke(cached.Access.Request, cached.Access, cached));
                }

                return;
            }

            ForItem(ErrorTarget, () => Revoke(CreateTokenRequest(), ParameterSetName == ByToken ? Token!.Access : null, ErrorTarget));
        }

        /// <param name="request">What the token is for.</param>
        /// <param name="token">This very token (from a token object or the cache list); null: the session's token for the request.</param>
        /// <param name="target">The item, for an error record.</param>
        private void Revoke(TokenRequest request, AccessToken? token, object target)
        {
            if (!ShouldProcess($"{request.Target.ProviderName} token for {request.Credential.DisplayIdentity} at {request.Target.BaseUri}", "Revoke"))
            {
                return;
            }

            var result = Await(token != null
                ? TokenAuthSession.Engine.RevokeAsync(token, Log, Cancellation, CallTimeout, ConnectionFor(token), AssertionHost)
                : TokenAuthSession.Engine.RevokeAsync(request, Log, Cancellation, CallTimeout));
            if (result.Forgotten && !result.ProviderNotified && result.ProviderFailure == null)
            {
                WriteWarning(result.Message);
            }

            WriteObject(new TokenRevocation(result));
            if (result.ProviderFailure != null)
            {
                // The session forgot the token either way; the provider's refusal is still an error to act on.
                WriteError(ToErrorRecord(result.ProviderFailure, target));
            }
        }
    }

    /// <summary>Get-ProviderTokenCache: the tokens the session holds, as Get-AzContext shows a session; never a token's value.</summary>
    [Cmdlet(VerbsCommon.Get, "ProviderTokenCache")]
    [OutputType(typeof(CachedProviderToken))]
    public sealed class GetProviderTokenCacheCommand : TokenAuthCmdlet
    {
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(ProviderNameCompleter))]
        [SupportsWildcards]
        public string Provider { get; set; } = "*";

        protected override void ProcessRecord()
        {
            var pattern = new WildcardPattern(Provider, WildcardOptions.IgnoreCase);
            foreach (var token in TokenAuthSession.Engine.CachedTokens().Where(token => pattern.IsMatch(token.Provider))
                .OrderBy(token => token.Provider, ProviderDefinition.NameComparer).ThenBy(token => token.ExpiresOn))
            {
                WriteObject(new CachedProviderToken(token));
            }
        }
    }

    /// <summary>Get-WhoAmI: the identity behind the session's token.</summary>
    [Cmdlet(VerbsCommon.Get, "WhoAmI", DefaultParameterSetName = ByToken)]
    [OutputType(typeof(ProviderIdentity))]
    public sealed class GetWhoAmICommand : ProviderCmdlet
    {
        protected override void ProcessRecord() => ForItem(ErrorTarget, () =>
            WriteObject(new ProviderIdentity(Await(TokenAuthSession.Engine.WhoAmIAsync(CreateTokenRequest(), Log, Cancellation, CallTimeout)))));
    }

    /// <summary>Register-TokenAuthProvider: adds a provider described in JSON for this session.</summary>
    [Cmdlet(VerbsLifecycle.Register, "TokenAuthProvider", SupportsShouldProcess = true)]
    [OutputType(typeof(TokenAuthProviderInfo))]
    public sealed class RegisterTokenAuthProviderCommand : TokenAuthCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName")]
        public string[] Path { get; set; } = Array.Empty<string>();

        protected override void ProcessRecord()
        {
            foreach (var path in Path)
            {
                ForItem(path, () =>
                {
                    var fullPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
                    var definition = ProviderDefinitionLoader.LoadFile(fullPath);
                    if (ShouldProcess(definition.Name, "Register provider"))
                    {
                        if (AmbientIdentity.Of(definition) is { } ambient)
                        {
                            WriteWarning(ambient.Describe(definition.Name));
                        }

                        TokenAuthSession.Providers.Register(definition);
                        WriteObject(new TokenAuthProviderInfo(definition, builtIn: false));
                    }
                });
            }
        }
    }

    /// <summary>Get-TokenAuthProvider: the built-in and registered providers and what each supports.</summary>
    [Cmdlet(VerbsCommon.Get, "TokenAuthProvider")]
    [OutputType(typeof(TokenAuthProviderInfo))]
    public sealed class GetTokenAuthProviderCommand : TokenAuthCmdlet
    {
        [Parameter(Position = 0)]
        [ArgumentCompleter(typeof(ProviderNameCompleter))]
        [SupportsWildcards]
        public string Name { get; set; } = "*";

        protected override void ProcessRecord()
        {
            var pattern = new WildcardPattern(Name, WildcardOptions.IgnoreCase);
            foreach (var provider in TokenAuthSession.Providers.All.Where(provider => pattern.IsMatch(provider.Name)))
            {
                WriteObject(new TokenAuthProviderInfo(provider, TokenAuthSession.Providers.IsBuiltIn(provider.Name)));
            }
        }
    }
}
