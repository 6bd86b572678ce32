using System;
using System.Management.Automation;
using System.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Providers;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Cmdlets that act on one provider's token: the provider, where it is and whose credential, by name, or a token
    /// object from Get-ProviderToken. Only Provider and Environment bind from piped objects' properties, since both
    /// pick among destinations the user registered (and a credential typed on the command line goes only to the provider
    /// and environment the command line names): where a credential goes (BaseUri), which secret is read
    /// (SecretName, Vault) and what is asked for (Scope) come from the command line alone, so that an API item piped
    /// back in (with a "baseUri" field, say) cannot send the client secret elsewhere.
    /// </summary>
    public abstract partial class ProviderCmdlet : TokenAuthCmdlet
    {
        protected const string ByProvider = "ByProvider";
        protected const string ByToken = "ByToken";

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByProvider, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(ProviderNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Provider { get; set; } = "";

        [Parameter(ParameterSetName = ByProvider, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(EnvironmentCompleter))]
        public string? Environment { get; set; }

        [Parameter(ParameterSetName = ByProvider)]
        public string? BaseUri { get; set; }

        [Parameter(ParameterSetName = ByProvider)]
        public string? SecretName { get; set; }

        [Parameter(ParameterSetName = ByProvider)]
        [ArgumentCompleter(typeof(VaultNameCompleter))]
        public string? Vault { get; set; }

        // No [Credential] transformation: given a bare user name it would prompt, and TokenAuth never prompts.
        [Parameter(ParameterSetName = ByProvider)]
        public PSCredential? Credential { get; set; }

        [Parameter(ParameterSetName = ByProvider)]
        public SecureString? ClientCredential { get; set; }

        /// <summary>The client id, for a provider whose credential is nothing else (its client proves itself with an assertion): no vault needed.</summary>
        [Parameter(ParameterSetName = ByProvider)]
        [ValidateNotNullOrEmpty]
        public string? ClientId { get; set; }

        [Parameter(ParameterSetName = ByProvider)]
        public string? Scope { get; set; }

        /// <summary>
        /// Where this call's client assertions come from, before the session's source and a PrivateKeyJwt provider's certificate
        /// (a definition's own source counts only when named here): a source's name or a script block, asked afresh for each
        /// token request; tokens are cached per source.
        /// </summary>
        [Parameter(ParameterSetName = ByProvider)]
        [ClientAssertionSourceTransformation]
        [ArgumentCompleter(typeof(ClientAssertionSourceCompleter))]
        [ValidateNotNull]
        public ClientAssertionSource? ClientAssertion { get; set; }

        [Parameter(ParameterSetName = ByProvider)]
        [ValidateRange(1, int.MaxValue)]
        public int LifetimeSeconds { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = ByToken, ValueFromPipeline = true)]
        public ProviderToken? Token { get; set; }

        /// <summary>Seconds the whole call may take, token acquisition included; 0 (the default): the module's defaults.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int TimeoutSec { get; set; }

        protected TimeSpan? CallTimeout => TimeoutSec > 0 ? TimeSpan.FromSeconds(TimeoutSec) + SignInGrace : (TimeSpan?)null;

        /// <summary>A proxy for this call, token calls included, instead of the session's (Set-TokenAuthOption) or the system's.</summary>
        [Parameter]
        [ValidateNotNull]
        public Uri? Proxy { get; set; }

        [Parameter]
        [ValidateNotNull]
        public PSCredential? ProxyCredential { get; set; }

        [Parameter]
        public SwitchParameter ProxyUseDefaultCredentials { get; set; }

        /// <summary>Straight to the provider, whatever the session's or the system's proxy.</summary>
        [Parameter]
        public SwitchParameter NoProxy { get; set; }

        /// <summary>Accept any server certificate for this call, with a warning. For a test server only.</summary>
        [Parameter]
        public SwitchParameter SkipCertificateCheck { get; set; }

        /// <summary>The TLS versions this call may use; Default: the operating system's choice.</summary>
        [Parameter]
        public TokenAuthSslProtocol SslProtocol { get; set; }

        /// <summary>The client certificate for this call (mutual TLS), instead of the provider definition's; tokens are cached per certificate.</summary>
        [Parameter]
        [ValidateNotNull]
        public X509Certificate2? Certificate { get; set; }

        /// <summary>Whether -Provider was given on the command line rather than taken from a piped object.</summary>
        private bool _providerNamed;

        /// <summary>Whether -Environment was given on the command line rather than taken from a piped object.</summary>
        private bool _environmentNamed;

        /// <summary>This runspace's proxy, trusted CAs and client assertion sources, read on the pipeline thread.</summary>
        private RunspaceSettings _settings = RunspaceSettings.Default;

        /// <summary>Before any piped object binds, the bound parameters are the command line's.</summary>
        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _settings = RunspaceSettings.Current;
            _providerNamed = MyInvocation.BoundParameters.ContainsKey(nameof(Provider));
            _environmentNamed = MyInvocation.BoundParameters.ContainsKey(nameof(Environment));
            try
            {
                _proxy = ConnectionParameters.ProxyFrom(Proxy, ProxyCredential, ProxyUseDefaultCredentials, NoProxy, perCall: true);
            }
            catch (TokenAuthException ex)
            {
                // No target: a proxy address can carry a password, even one that is not a valid address.
                ThrowTerminatingError(ToErrorRecord(ex, null));
            }

            if (SkipCertificateCheck)
            {
                WriteWarning("-SkipCertificateCheck: any server certificate is accepted for this call, so the token and the credentials can go to whoever answers. "
                    + "Use it with a test server only; trust a corporate CA with Set-TokenAuthOption -CertificateBundle instead.");
            }
        }

        /// <summary>The proxy the command line asked for; null: the session's.</summary>
        private ProxySettings? _proxy;

        /// <summary>
        /// How this item's calls go: the session's settings, the provider definition's trusted CAs and client
        /// certificate (a piped token's own), then this call's parameters.
        /// </summary>
        private ConnectionSettings ConnectionFor(ProviderDefinition definition, ProviderToken? piped)
        {
            var session = _settings.Connection;
            var providerTrust = definition.TrustedCertificates == null ? null : TrustedCertificates.FromPemFile(definition.TrustedCertificates);
            X509Certificate2? certificate;
            if (Certificate != null)
            {
                ClientCertificateResolver.CheckUsable(definition.Name, Certificate, "-Certificate", Log, DateTimeOffset.UtcNow);
                certificate = Certificate;
            }
            else if (piped != null)
            {
                certificate = piped.Request.Connection?.ClientCertificate;
            }
            else
            {
                certificate = definition.ClientCertificate == null ? null
                    : TokenAuthSession.ClientCertificates.Resolve(definition, definition.ClientCertificate, new SecretManagementStore(this), Log, DateTimeOffset.UtcNow);
            }

            return WithCallParameters(session.For(providerTrust, certificate));
        }

        /// <summary>
        /// How a call with a token already got goes (its revocation, piped as a token or from Get-ProviderTokenCache):
        /// as the token was got (its trust and client certificate), with this call's parameters; the server's certificate
        /// is checked unless this call, too, says -SkipCertificateCheck.
        /// </summary>
        protected ConnectionSettings ConnectionFor(AccessToken token) =>
            WithCallParameters((token.Request.Connection ?? TokenAuthSession.Engine.Options.Connection) with { SkipCertificateCheck = false });

        private ConnectionSettings WithCallParameters(ConnectionSettings connection) =>
            _proxy == null && !SkipCertificateCheck && SslProtocol == TokenAuthSslProtocol.Default ? connection
            : connection with
            {
                Proxy = _proxy ?? connection.Proxy,
                SkipCertificateCheck = SkipCertificateCheck || connection.SkipCertificateCheck,
                SslProtocols = SslProtocol == TokenAuthSslProtocol.Default ? connection.SslProtocols : (SslProtocols)SslProtocol,
            };

        /// <summary>What this item is about, for error records.</summary>
        protected object ErrorTarget => ParameterSetName == ByToken ? (object)Token! : Provider;

        /// <param name="rereadSecret">Read the vault again instead of using the credential read earlier in the session.</param>
        internal TokenRequest CreateTokenRequest(bool rereadSecret = false)
        {
            // A certificate is a credential too: it signs assertions and opens mutual TLS. A piped token keeps its own.
            if (ParameterSetName == ByToken)
            {
                return Certificate != null
                    ? throw new UnsafeRequestException(Token!.Provider,
                        $"A piped token names the provider '{Token.Provider}', but -Certificate goes only to a provider named with -Provider on the command line; "
                        + "a piped token keeps the certificate it was got with. Nothing was sent.")
                    : Token!.Request.WithConnection(ConnectionFor(Token.Request.Target.Definition, Token)).WithHost(AssertionHost).WithSignInHost(new SignInHost(this));
            }

            var commandLineCredential = Credential != null || ClientCredential != null || ClientId != null || ClientAssertion != null || ActorAssertion != null
                || Certificate != null || EnvironmentVariable;
            if (commandLineCredential && !_providerNamed)
            {
                throw new UnsafeRequestException(Provider,
                    $"A piped object names the provider '{Provider}', but a credential given with -Credential, -ClientCredential, -ClientId, -ClientAssertion, -ActorAssertion, "
                    + "-EnvironmentVariable or -Certificate "
                    + "goes only to a provider named with -Provider on the command line; nothing was sent.");
            }

            // A provider's environments are different servers (Production, Sandbox): a piped object may choose among them
            // only for the credential the provider's own secret holds, not move one typed on the command line.
            if (commandLineCredential && Environment != null && !_environmentNamed && BaseUri == null)
            {
                throw new UnsafeRequestException(Provider,
                    $"A piped object names the environment '{Environment}' of '{Provider}', but a credential given with -Credential, -ClientCredential, -ClientId, "
                    + "-ClientAssertion, -ActorAssertion, -EnvironmentVariable or -Certificate goes only to the environment named with -Environment on the command line (or the default); nothing was sent.");
            }

            if (ClientId != null && (Credential != null || SecretName != null))
            {
                throw new InvalidRequestException(Provider, "-ClientId is the whole credential: it goes with neither -Credential nor -SecretName.");
            }

            var definition = TokenAuthSession.Providers.Get(Provider);
            var target = ProviderTarget.Resolve(definition, Environment, BaseUri);
            if (TokenAuthSession.Engine.Options.TokenCacheVault != null || definition.TokenCacheVault != null)
            {
                // Tokens persist: the vault's runspace opens on another thread while the credential is read.
                SecretManagementRunspace.Prepare();
            }

            var credential = EnvironmentVariable ? CredentialFromEnvironment(definition)
                : definition.Credential.Fields.Count == 0 ? WithoutCredential(definition)
                : Credential != null ? CredentialResolver.FromUserAndPassword(definition, Credential.UserName, Credential.Password, ClientCredential, "-Credential")
                : ClientId != null ? CredentialResolver.FromClientId(definition, ClientId, "-ClientId")
                : PublicClientOf(definition) is { } publicClient ? publicClient
                : TokenAuthSession.Credentials.FromVault(definition, new SecretManagementStore(this), SecretName, Vault, rereadSecret);
            var request = new TokenRequest(target, credential, Scope, LifetimeSeconds > 0 ? TimeSpan.FromSeconds(LifetimeSeconds) : (TimeSpan?)null, ConnectionFor(definition, null),
                AssertionSourceFor(definition), AssertionHost, CallTokenParameters(), SignInFor(definition));
            return ActorAssertion == null ? request : request.WithActor(ActorAssertion);
        }

        /// <summary>-ClientAssertion; else, for a FederatedAssertion provider named on the command line, the session's source for it.</summary>
        private ClientAssertionSource? AssertionSourceFor(ProviderDefinition definition) =>
            ClientAssertion
            ?? (definition.Token.ClientAuthentication == ClientAuthentication.FederatedAssertion || definition.Token.Subject != null
                ? _settings.ClientAssertions.For(definition.Name, _providerNamed)
                : null);

        /// <summary>Where the credential came from, kept on token objects so they can be piped on.</summary>
        internal (string? SecretName, string? Vault) CredentialSource =>
            ParameterSetName == ByToken ? (Token!.SecretName, Token.Vault)
            : Credential != null || ClientId != null || EnvironmentVariable || TokenAuthSession.Providers.Get(Provider) is var definition
                && (definition.Credential.Fields.Count == 0 || PublicClientOf(definition) != null) ? (null, null)
            : (SecretName ?? CredentialResolver.DefaultSecretName(TokenAuthSession.Providers.Get(Provider)), Vault);
    }
}
