using System;
using System.Management.Automation;
using TokenAuth.Credentials;
using TokenAuth.Providers;

namespace TokenAuth.Commands
{
    /// <summary>Register-TokenAuthProvider: adds a provider described in JSON for this session.</summary>
    [Cmdlet(VerbsLifecycle.Register, "TokenAuthProvider", SupportsShouldProcess = true, DefaultParameterSetName = ByPath)]
    [OutputType(typeof(TokenAuthProviderInfo))]
    public sealed partial class RegisterTokenAuthProviderCommand : TokenAuthCmdlet
    {
        private const string ByPath = "ByPath";

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByPath)]
        [Alias("FullName")]
        public string[] Path { get; set; } = Array.Empty<string>();

        protected override void ProcessRecord()
        {
            if (ParameterSetName == ByIssuer)
            {
                RegisterFromIssuer();
                return;
            }

            foreach (var path in Path)
            {
                ForItem(path, () =>
                {
                    var fullPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
                    var definition = ProviderDefinitionLoader.LoadFile(fullPath);
                    if (ShouldProcess(definition.Name, RegisterAction("Register provider", definition.Name)))
                    {
                        if (AmbientIdentity.Of(definition) is { } ambient)
                        {
                            WriteWarning(ambient.Describe(definition.Name));
                        }

                        TokenAuthSession.Providers.Register(definition);
                        PersistIfAsked(definition);
                        WriteObject(new TokenAuthProviderInfo(definition, builtIn: false));
                    }
                });
            }
        }
    }
}
