using System.Linq;
using System.Management.Automation;
using TokenAuth.Providers;

namespace TokenAuth.Commands
{
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
}
