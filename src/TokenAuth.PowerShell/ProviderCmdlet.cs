using System;
using System.Management.Automation;
using System.Security;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Providers;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Cmdlets that act on one provider's token: the provider, where it is and whose credential, by name, or a token
    /// object from Get-ProviderToken. Only Provider and Environment bind from piped objects' properties, since both
    /// pick among destinations the user registered: where a credential goes (BaseUri), which secret is read
    /// (SecretName, Vault) and what is asked for (Scope) come from the command line alone, so that an API item piped
    /// back in (with a "baseUri" field, say) cannot send the client secret elsewhere.
    /// </summary>
    public abstract class ProviderCmdlet : TokenAuthCmdlet
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
        public string? Vault { get; set; }

        // No [Credential] transformation: given a bare user name it would prompt, and TokenAuth never prompts.
        [Parameter(ParameterSetName = ByProvider)]
        public PSCredential? Credential { get; set; }

        [Parameter(ParameterSetName = ByProvider)]
        public SecureString? ClientCredential { get; set; }

        [Parameter(ParameterSetName = ByProvider)]
        public string? Scope { get; set; }

        [Parameter(ParameterSetName = ByProvider)]
        [ValidateRange(1, int.MaxValue)]
        public int LifetimeSeconds { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = ByToken, ValueFromPipeline = true)]
        public ProviderToken? Token { get; set; }

        /// <summary>Seconds the whole call may take, token acquisition included; 0 (the default): the module's defaults.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int TimeoutSec { get; set; }

        protected TimeSpan? CallTimeout => TimeoutSec > 0 ? TimeSpan.FromSeconds(TimeoutSec) : (TimeSpan?)null;

        /// <summary>Whether -Provider was given on the command line rather than taken from a piped object.</summary>
        private bool _providerNamed;

        /// <summary>Before any piped object binds, the bound parameters are the command line's.</summary>
        protected override void BeginProcessing() => _providerNamed = MyInvocation.BoundParameters.ContainsKey(nameof(Provider));

        /// <summary>What this item is about, for error records.</summary>
        protected object ErrorTarget => ParameterSetName == ByToken ? (object)Token! : Provider;

        /// <param name="rereadSecret">Read the vault again instead of using the credential read earlier in the session.</param>
        internal TokenRequest CreateTokenRequest(bool rereadSecret = false)
        {
            if (ParameterSetName == ByToken)
            {
                return Token!.Request;
            }

            if ((Credential != null || ClientCredential != null) && !_providerNamed)
            {
                throw new UnsafeRequestException(Provider,
                    $"A piped object names the provider '{Provider}', but a credential given with -Credential or -ClientCredential goes only to a provider named "
                    + "with -Provider on the command line; nothing was sent.");
            }

            var definition = TokenAuthSession.Providers.Get(Provider);
            var target = ProviderTarget.Resolve(definition, Environment, BaseUri);
            var credential = Credential != null
                ? CredentialResolver.FromUserAndPassword(definition, Credential.UserName, Credential.Password, ClientCredential, "-Credential")
                : TokenAuthSession.Credentials.FromVault(definition, new SecretManagementStore(this), SecretName, Vault, rereadSecret);
            return new TokenRequest(target, credential, Scope, LifetimeSeconds > 0 ? TimeSpan.FromSeconds(LifetimeSeconds) : (TimeSpan?)null);
        }

        /// <summary>Where the credential came from, kept on token objects so they can be piped on.</summary>
        internal (string? SecretName, string? Vault) CredentialSource =>
            ParameterSetName == ByToken ? (Token!.SecretName, Token.Vault)
            : Credential != null ? (null, null)
            : (SecretName ?? CredentialResolver.DefaultSecretName(TokenAuthSession.Providers.Get(Provider)), Vault);
    }
}
