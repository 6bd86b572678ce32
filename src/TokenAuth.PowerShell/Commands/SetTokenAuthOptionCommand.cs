using System;
using System.Linq;
using System.Management.Automation;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Providers;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Set-TokenAuthOption: the session's settings, as Set-MgGraphOption sets Microsoft Graph's: the process's limits
    /// (timeouts, renewal, retries) and this runspace's trust and identity (<see cref="RunspaceSettings"/>: proxy, trusted
    /// CAs, client assertion sources). Takes effect from the next call; cached tokens are kept. Only the parameters given change.
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "TokenAuthOption", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = "Change")]
    [OutputType(typeof(TokenAuthOptionInfo))]
    public sealed class SetTokenAuthOptionCommand : TokenAuthCmdlet
    {
        [Parameter(ParameterSetName = "Change")]
        [ValidateRange(1, 86400)]
        public int RequestTimeoutSec { get; set; }

        [Parameter(ParameterSetName = "Change")]
        [ValidateRange(1, 3600)]
        public int TokenTimeoutSec { get; set; }

        /// <summary>Seconds before expiry to renew; -1: automatic (the smaller of 60 s and a tenth of the lifetime).</summary>
        [Parameter(ParameterSetName = "Change")]
        [ValidateRange(-1, 86400)]
        public int RenewalMarginSec { get; set; }

        [Parameter(ParameterSetName = "Change")]
        [ValidateRange(1024, int.MaxValue)]
        public long MaxProviderAnswerBytes { get; set; }

        [Parameter(ParameterSetName = "Change")]
        [ValidateRange(0, 20)]
        public int MaximumRetryCount { get; set; }

        [Parameter(ParameterSetName = "Change")]
        [ValidateRange(0, 3600)]
        public int MaximumRetryWaitSec { get; set; }

        [Parameter(ParameterSetName = "Change")]
        [ValidateRange(0, 50)]
        public int MaximumRedirection { get; set; }

        [Parameter(ParameterSetName = "Change")]
        [ValidateNotNull]
        public Uri? Proxy { get; set; }

        [Parameter(ParameterSetName = "Change")]
        [ValidateNotNull]
        public PSCredential? ProxyCredential { get; set; }

        [Parameter(ParameterSetName = "Change")]
        public SwitchParameter ProxyUseDefaultCredentials { get; set; }

        [Parameter(ParameterSetName = "Change")]
        public SwitchParameter NoProxy { get; set; }

        /// <summary>Back to the system's proxy (HTTPS_PROXY and NO_PROXY, or the Windows settings).</summary>
        [Parameter(ParameterSetName = "Change")]
        public SwitchParameter SystemProxy { get; set; }

        /// <summary>A PEM file of CA certificates trusted for TokenAuth alone, beside the system's store; an empty string trusts the system's alone again.</summary>
        [Parameter(ParameterSetName = "Change")]
        [AllowEmptyString]
        public string? CertificateBundle { get; set; }

        /// <summary>
        /// Where the FederatedAssertion providers -ClientAssertionProvider names get their assertions: a source's name
        /// (GitHubActions, AzureDevOps:ID, Env:NAME, File:PATH); an empty string: none (for those providers, or for all).
        /// A script block goes on each call instead. A call's own -ClientAssertion comes first.
        /// </summary>
        [Parameter(ParameterSetName = "Change")]
        [ClientAssertionSourceTransformation]
        [ArgumentCompleter(typeof(ClientAssertionSourceCompleter))]
        [AllowNull]
        [AllowEmptyString]
        public ClientAssertionSource? ClientAssertion { get; set; }

        /// <summary>The providers the session's -ClientAssertion is for: an assertion asked for one audience goes to no other provider.</summary>
        [Parameter(ParameterSetName = "Change")]
        [ArgumentCompleter(typeof(ProviderNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? ClientAssertionProvider { get; set; }

        /// <summary>
        /// The SecretManagement vault where tokens persist beyond the session, so that each new process reuses them until
        /// they are due for renewal; an empty string: the session's memory only again (the default).
        /// </summary>
        [Parameter(ParameterSetName = "Change")]
        [AllowEmptyString]
        [ValidatePattern(@"^[^\p{Cc}]*$")]
        [ArgumentCompleter(typeof(VaultNameCompleter))]
        public string? TokenCacheVault { get; set; }

        /// <summary>
        /// The folder an Azure Arc challenge's key file must be directly in, for an agent installed elsewhere or a test;
        /// an empty string: the agent's own folder again. Only code sets it, never the environment.
        /// </summary>
        [Parameter(ParameterSetName = "Change")]
        [AllowEmptyString]
        public string? ArcKeyFolder { get; set; }

        /// <summary>Every setting back to its default.</summary>
        [Parameter(Mandatory = true, ParameterSetName = "Reset")]
        public SwitchParameter Reset { get; set; }

        /// <summary>
        /// Settings another runspace's Get-TokenAuthOption read, whose proxy, trusted CAs and client assertion sources
        /// this runspace takes: how a ForEach-Object -Parallel block gets them ($using:options | Set-TokenAuthOption).
        /// </summary>
        [Parameter(Mandatory = true, ParameterSetName = HandOver, ValueFromPipeline = true)]
        [ValidateNotNull]
        public TokenAuthOptionInfo? InputObject { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        private const string HandOver = "HandOver";

        /// <summary>Settings handed over: each piped object's, in turn.</summary>
        protected override void ProcessRecord()
        {
            if (ParameterSetName == HandOver && InputObject != null)
            {
                Apply(TokenAuthSession.Engine.Options, InputObject.Settings, "Take the proxy, trusted CAs and client assertion sources handed over");
            }
        }

        protected override void EndProcessing()
        {
            try
            {
                if (ParameterSetName != HandOver)
                {
                    var (options, settings) = Reset ? (TokenAuthSession.DefaultOptions(), RunspaceSettings.Default) : Changed(TokenAuthSession.Engine.Options, RunspaceSettings.Current);
                    Apply(options, settings, Reset ? "Reset every option to its default" : "Change options");
                }
            }
            catch (TokenAuthException ex)
            {
                ThrowTerminatingError(ToErrorRecord(ex, null));
            }

            base.EndProcessing();
        }

        private void Apply(TokenAuthOptions options, RunspaceSettings settings, string action)
        {
            if (ShouldProcess("the TokenAuth session", action))
            {
                TokenAuthSession.Engine.Options = options;
                RunspaceSettings.Current = settings;
                if (options.TokenCacheVault != null)
                {
                    // The next call reads the vault: its runspace opens meanwhile, on another thread.
                    SecretManagementRunspace.Prepare();
                }

                if (PassThru)
                {
                    WriteObject(new TokenAuthOptionInfo(options, settings));
                }
            }
        }

        /// <summary>
        /// The session's sources with -ClientAssertion for the providers -ClientAssertionProvider names, each a registered
        /// FederatedAssertion provider or one whose grant takes a subject token; an empty -ClientAssertion removes theirs, or every one without -ClientAssertionProvider.
        /// </summary>
        private SessionAssertionSources SessionSources(SessionAssertionSources current)
        {
            if (ClientAssertion?.IsCallerCode == true)
            {
                // A script block belongs to the command that names it.
                throw new InvalidRequestException(null, "A script block runs with the command that names it: pass -ClientAssertion { ... } to each call, "
                    + $"or give the session a source by name ({ClientAssertionSource.Syntax}).");
            }

            if (ClientAssertion == null)
            {
                return current.With(ClientAssertionProvider ?? current.Entries.Select(entry => entry.Key).ToArray(), null);
            }

            if (ClientAssertionProvider == null)
            {
                throw new InvalidRequestException(null, $"The session's {ClientAssertion.Description} goes only to the providers you name for it, "
                    + "since an assertion asked for one audience must reach no other provider: add -ClientAssertionProvider NAME[,NAME...].");
            }

            foreach (var name in ClientAssertionProvider)
            {
                var token = TokenAuthSession.Providers.Get(name).Token;
                if (token.ClientAuthentication != ClientAuthentication.FederatedAssertion && token.Subject == null)
                {
                    throw new InvalidRequestException(name, $"{name} authenticates with {token.ClientAuthentication}, not a federated assertion: the session's client assertion source "
                        + "goes only to a provider whose definition says FederatedAssertion, or whose grant takes a subject token (token.subject).");
                }
            }

            return current.With(ClientAssertionProvider, ClientAssertion);
        }

        /// <summary>The process's limits and this runspace's trust and identity settings, with the parameters given.</summary>
        private (TokenAuthOptions Options, RunspaceSettings Settings) Changed(TokenAuthOptions options, RunspaceSettings settings)
        {
            bool Given(string name) => MyInvocation.BoundParameters.ContainsKey(name);
            if (Given(nameof(RequestTimeoutSec))) options = options with { Timeout = TimeSpan.FromSeconds(RequestTimeoutSec) };
            if (Given(nameof(TokenTimeoutSec))) options = options with { TokenTimeout = TimeSpan.FromSeconds(TokenTimeoutSec) };
            if (Given(nameof(RenewalMarginSec))) options = options with { RenewalMargin = RenewalMarginSec < 0 ? null : TimeSpan.FromSeconds(RenewalMarginSec) };
            if (Given(nameof(MaxProviderAnswerBytes))) options = options with { MaxProviderAnswerBytes = MaxProviderAnswerBytes };
            if (Given(nameof(MaximumRetryCount))) options = options with { Retry = options.Retry with { MaxRetries = MaximumRetryCount } };
            if (Given(nameof(MaximumRetryWaitSec))) options = options with { Retry = options.Retry with { MaxTotalWait = TimeSpan.FromSeconds(MaximumRetryWaitSec) } };
            if (Given(nameof(MaximumRedirection))) options = options with { MaxRedirects = MaximumRedirection };
            if (Given(nameof(TokenCacheVault))) options = options with { TokenCacheVault = string.IsNullOrWhiteSpace(TokenCacheVault) ? null : TokenCacheVault!.Trim() };
            if (Given(nameof(ArcKeyFolder)))
            {
                options = options with { ArcKeyFolder = string.IsNullOrEmpty(ArcKeyFolder) ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(ArcKeyFolder) };
            }

            var clientAssertions = settings.ClientAssertions;
            if (Given(nameof(ClientAssertion)))
            {
                clientAssertions = SessionSources(clientAssertions);
            }
            else if (ClientAssertionProvider != null)
            {
                throw new InvalidRequestException(null, "-ClientAssertionProvider names the providers a -ClientAssertion is for: give it with -ClientAssertion.");
            }

            var connection = settings.Connection;
            if (SystemProxy && (Proxy != null || NoProxy))
            {
                throw new InvalidRequestException(null, "-SystemProxy cannot go with -Proxy or -NoProxy: it goes back to the system's proxy.");
            }

            var proxy = ConnectionParameters.ProxyFrom(Proxy, ProxyCredential, ProxyUseDefaultCredentials, NoProxy, perCall: false);
            if (proxy != null || SystemProxy)
            {
                connection = connection with { Proxy = proxy ?? ProxySettings.System };
            }

            if (CertificateBundle != null)
            {
                connection = connection with
                {
                    TrustedCertificates = CertificateBundle.Length == 0 ? null
                        : TrustedCertificates.FromPemFile(SessionState.Path.GetUnresolvedProviderPathFromPSPath(CertificateBundle)),
                };
            }

            return (options, new RunspaceSettings(connection, clientAssertions));
        }
    }
}
