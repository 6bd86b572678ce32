using System.Linq;
using System.Management.Automation;

namespace TokenAuth.Commands
{
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
