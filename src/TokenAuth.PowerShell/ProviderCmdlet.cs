using System;
using System.Management.Automation;
using System.Security;
using TokenAuth.Credentials;
using TokenAuth.Providers;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Cmdlets that act on one provider's token: the provider, where it is and whose credential, by name (and by
    /// property name from the pipeline), or a token object from Get-ProviderToken.
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

        [Parameter(ParameterSetName = ByProvider, ValueFromPipelineByPropertyName = true)]
        public string? BaseUri { get; set; }

        [Parameter(ParameterSetName = ByProvider, ValueFromPipelineByPropertyName = true)]
        public string? SecretName { get; set; }

        [Parameter(ParameterSetName = ByProvider, ValueFromPipelineByPropertyName = true)]
        public string? Vault { get; set; }

        // No [Credential] transformation: given a bare user name it would prompt, and TokenAuth never prompts.
        [Parameter(ParameterSetName = ByProvider)]
        public PSCredential? Credential { get; set; }

        [Parameter(ParameterSetName = ByProvider)]
        public SecureString? ClientCredential { get; set; }

        [Parameter(ParameterSetName = ByProvider, ValueFromPipelineByPropertyName = true)]
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

        /// <summary>What this item is about, for error records.</summary>
        protected object Target => ParameterSetName == ByToken ? (object)Token! : Provider;

        /// <param name="rereadSecret">Read the vault again instead of using the credential read earlier in the session.</param>
        internal TokenRequest BuildRequest(bool rereadSecret = false)
        {
            if (ParameterSetName == ByToken)
            {
                return Token!.Request;
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
