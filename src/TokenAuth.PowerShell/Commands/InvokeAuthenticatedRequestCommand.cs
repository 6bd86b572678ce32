using System;
using System.Collections;
using System.Management.Automation;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Requests;

namespace TokenAuth.Commands
{
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

        /// <summary>This command's parameters in the engine's terms: made in BeginProcessing, once they are bound.</summary>
        private RestMethodTranslation _translation = null!;

        /// <summary>Piped requests started and not yet written, with -ThrottleLimit above 1; null without it.</summary>
        private InFlightRequests? _inFlight;

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _translation = new RestMethodTranslation(this, SessionState.Path, MyInvocation.BoundParameters.ContainsKey(nameof(Method)));
            if (ThrottleLimit > 1 && (OutFile != null || _translation.Paging.Applies))
            {
                ThrowTerminatingError(ToErrorRecord(new InvalidRequestException(null,
                    "-ThrottleLimit cannot be combined with -OutFile or with paging (-FollowRelLink, -NextLinkPath, -ItemsPath): "
                    + "those requests write one after another. Leave -ThrottleLimit out for them."), ThrottleLimit));
            }

            if (_translation.Conflict() is { } conflict)
            {
                ThrowTerminatingError(ToErrorRecord(conflict, null));
            }

            if (ThrottleLimit > 1)
            {
                _inFlight = new InFlightRequests(ThrottleLimit, (uri, response) => ForItem(uri, () => WriteResponse(Await(response))), finishing => Await(finishing));
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
                using var upload = _translation.OpenUpload();
                var apiRequest = _translation.ToApiRequest(Uri, upload, CallTimeout);
                if (_translation.Paging.Applies)
                {
                    WritePages(apiRequest);
                    return;
                }

                WriteResponse(Await(TokenAuthSession.Engine.SendAsync(CreateTokenRequest(), apiRequest, Log, Cancellation)));
            });
        }

        protected override void EndProcessing()
        {
            _inFlight?.WriteAll();
            base.EndProcessing();
        }

        /// <summary>Requests still in flight when the pipeline stops early are cancelled, and their uploads closed.</summary>
        protected override void ReleaseUnfinished() => _inFlight?.Abandon();

        /// <summary>Sends this item's request without waiting for it; a failure before sending is queued too, to keep the input's order.</summary>
        private void Start()
        {
            var upload = _translation.OpenUpload();
            Task<ApiResponse> response;
            try
            {
                response = TokenAuthSession.Engine.SendAsync(CreateTokenRequest(), _translation.ToApiRequest(Uri, upload, CallTimeout), Log, Cancellation);
            }
            catch (TokenAuthException ex)
            {
                response = Task.FromException<ApiResponse>(ex);
            }
            catch
            {
                // Anything else ends the command (Ctrl+C while a vault is read, say) before the window could own the upload.
                upload?.Dispose();
                throw;
            }

            _inFlight!.Add(Uri, response, upload);
        }

        /// <summary>Each page's items go down the pipeline as the page arrives, so Select-Object -First ends the paging.</summary>
        private void WritePages(ApiRequest apiRequest)
        {
            var pages = TokenAuthSession.Engine.SendPagesAsync(CreateTokenRequest(), apiRequest, _translation.Paging, Log, Cancellation).GetAsyncEnumerator();
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
                SessionState.PSVariable.Set(ResponseHeadersVariable, RestMethodTranslation.HeadersOf(response));
            }

            if (_translation.TryGetOutput(response, out var output, out var unroll))
            {
                WriteObject(output, enumerateCollection: unroll);
            }
        }
    }
}
