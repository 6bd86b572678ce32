using System.Linq;
using System.Management.Automation;
using TokenAuth.Providers;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Get-ProviderTokenCache: the tokens the session holds, as Get-AzContext shows a session; with -Vault, the tokens
    /// persisted in a vault by any process. Never a token's value.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "ProviderTokenCache", DefaultParameterSetName = Session)]
    [OutputType(typeof(CachedProviderToken), ParameterSetName = new[] { Session })]
    [OutputType(typeof(PersistedProviderToken), ParameterSetName = new[] { InVault })]
    public sealed class GetProviderTokenCacheCommand : TokenAuthCmdlet
    {
        private const string Session = "Session";
        private const string InVault = "Vault";

        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(ProviderNameCompleter))]
        [SupportsWildcards]
        public string Provider { get; set; } = "*";

        /// <summary>The SecretManagement vault whose persisted TokenAuth tokens to list, whichever process wrote them.</summary>
        [Parameter(Mandatory = true, ParameterSetName = InVault)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(VaultNameCompleter))]
        public string Vault { get; set; } = "";

        protected override void ProcessRecord()
        {
            var pattern = new WildcardPattern(Provider, WildcardOptions.IgnoreCase);
            if (ParameterSetName == InVault)
            {
                var persisted = Await(TokenAuthSession.Engine.ListPersistedTokensAsync(Vault, Log, Cancellation));
                foreach (var entry in persisted.Where(entry => pattern.IsMatch(entry.Provider))
                    .OrderBy(entry => entry.Provider, ProviderDefinition.NameComparer).ThenBy(entry => entry.ExpiresOn))
                {
                    WriteObject(new PersistedProviderToken(entry));
                }

                return;
            }

            foreach (var token in TokenAuthSession.Engine.CachedTokens().Where(token => pattern.IsMatch(token.Provider))
                .OrderBy(token => token.Provider, ProviderDefinition.NameComparer).ThenBy(token => token.ExpiresOn))
            {
                WriteObject(new CachedProviderToken(token));
            }
        }
    }
}
