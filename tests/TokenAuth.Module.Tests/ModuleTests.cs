using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace TokenAuth.Module.Tests;

public sealed class ModuleTests
{
    private static readonly IReadOnlyList<CmdletInfo> Cmdlets = CmdletMetadata.Read(Repository.CmdletAssembly);
    private static readonly string Manifest = File.ReadAllText(Repository.File("TokenAuth.psd1"));

    private static string[] ManifestList(string key)
    {
        var match = Regex.Match(Manifest, key + @"\s*=\s*@\(([^)]*)\)");
        Assert.True(match.Success, $"{key} is missing from TokenAuth.psd1");
        return Regex.Matches(match.Groups[1].Value, @"'([^']*)'").Select(m => m.Groups[1].Value).ToArray();
    }

    private static string ManifestValue(string key, string? manifest = null) => Regex.Match(manifest ?? Manifest, key + @"\s*=\s*'([^']*)'").Groups[1].Value;

    /// <summary>A value the manifest chooses by edition: PowerShell 7 (Core) first, then Windows PowerShell 5.1 (Desktop).</summary>
    private static string[] ManifestEditionValues(string key, string? manifest = null)
    {
        var match = Regex.Match(manifest ?? Manifest, key + @"\s*=\s*if \(\$PSEdition -eq 'Core'\) \{ '([^']*)' \} else \{ '([^']*)' \}");
        Assert.True(match.Success, $"{key} is not chosen by edition");
        return [match.Groups[1].Value, match.Groups[2].Value];
    }

    [Fact]
    public void The_assembly_has_the_ten_cmdlets()
    {
        Assert.Equal(
            ["Get-ProviderToken", "Get-ProviderTokenCache", "Get-TokenAuthOption", "Get-TokenAuthProvider", "Get-WhoAmI", "Invoke-AuthenticatedRequest",
                "Register-TokenAuthProvider", "Revoke-ProviderToken", "Set-TokenAuthOption", "Unregister-TokenAuthProvider"],
            Cmdlets.Select(cmdlet => cmdlet.Name).Order());
    }

    [Fact]
    public void The_manifest_exports_exactly_the_cmdlet_classes_and_nothing_by_wildcard()
    {
        Assert.Equal(Cmdlets.Select(cmdlet => cmdlet.Name).Order(), ManifestList("CmdletsToExport").Order());
        foreach (var list in new[] { "FunctionsToExport", "VariablesToExport", "AliasesToExport" })
        {
            Assert.Empty(ManifestList(list));
        }

        Assert.DoesNotContain("*", Manifest);
    }

    [Fact]
    public void The_manifest_declares_editions_version_requirements_and_formats()
    {
        Assert.Equal(["Desktop", "Core"], ManifestList("CompatiblePSEditions"));
        Assert.Equal(["7.4", "5.1"], ManifestEditionValues("PowerShellVersion"));
        // SecretManagement is imported when a vault is first read, not with the module; the package depends on it instead.
        Assert.Empty(ManifestList("RequiredModules"));
        Assert.Contains("Microsoft.PowerShell.SecretManagement", ManifestList("PackageDependencies"));
        // The repository's manifest names its files under module/ (so it imports from a clone); the built one beside them.
        var built = File.ReadAllText(Path.Combine(Repository.Module, "TokenAuth.psd1"));
        // The root module is the cmdlet assembly built for the edition, found from a clone in out/TokenAuth once built.
        Assert.Equal(["out/TokenAuth/bin/net8.0/TokenAuth.PowerShell.dll", "out/TokenAuth/bin/netstandard2.0/TokenAuth.PowerShell.dll"], ManifestEditionValues("RootModule"));
        Assert.Equal(["bin/net8.0/TokenAuth.PowerShell.dll", "bin/netstandard2.0/TokenAuth.PowerShell.dll"], ManifestEditionValues("RootModule", built));
        Assert.Equal(ManifestValue("ModuleVersion"), ManifestValue("ModuleVersion", built));
        foreach (var file in ManifestList("FormatsToProcess"))
        {
            Assert.True(File.Exists(Repository.File(file)), $"{file} is not in the repository");
            Assert.True(File.Exists(Path.Combine(Repository.Module, file.Replace("module/", ""))), $"{file} is not in the built module");
        }

        foreach (var assembly in ManifestEditionValues("RootModule", built))
        {
            Assert.True(File.Exists(Path.Combine(Repository.Module, assembly)), $"{assembly} is not in the built module");
        }

        Assert.Matches(@"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$", ManifestValue("GUID"));
    }

    [Fact]
    public void The_built_module_has_help_for_each_edition_to_find()
    {
        Assert.True(File.Exists(Path.Combine(Repository.Module, "en-US", "TokenAuth.PowerShell.dll-Help.xml")));
        Assert.True(File.Exists(Path.Combine(Repository.Module, "en-US", "about_TokenAuth.help.txt")));
        Assert.True(File.Exists(Path.Combine(Repository.Bin("netstandard2.0"), "TokenAuth.PowerShell.dll")));
    }

    [Fact]
    public void Verbs_are_approved_and_state_changing_cmdlets_support_ShouldProcess()
    {
        var approved = new[] { "Get", "Invoke", "Revoke", "Register", "Unregister", "Set" };
        Assert.All(Cmdlets, cmdlet => Assert.Contains(cmdlet.Name.Split('-')[0], approved));
        Assert.True(Cmdlets.Single(c => c.Name == "Revoke-ProviderToken").SupportsShouldProcess);
        Assert.True(Cmdlets.Single(c => c.Name == "Register-TokenAuthProvider").SupportsShouldProcess);
        Assert.True(Cmdlets.Single(c => c.Name == "Set-TokenAuthOption").SupportsShouldProcess);
        Assert.True(Cmdlets.Single(c => c.Name == "Unregister-TokenAuthProvider").SupportsShouldProcess);
    }

    [Theory]
    [InlineData("Get-ProviderToken")]
    [InlineData("Invoke-AuthenticatedRequest")]
    [InlineData("Revoke-ProviderToken")]
    [InlineData("Get-WhoAmI")]
    public void Provider_cmdlets_bind_names_by_property_and_tokens_by_value_with_completion(string name)
    {
        var cmdlet = Cmdlets.Single(c => c.Name == name);
        var provider = cmdlet.Parameters.Single(p => p.Name == "Provider");
        Assert.True(provider.FromPipelineByPropertyName);
        Assert.Contains("ArgumentCompleterAttribute", provider.OtherAttributes);
        Assert.True(cmdlet.Parameters.Single(p => p.Name == "Environment").FromPipelineByPropertyName);
        Assert.True(cmdlet.Parameters.Single(p => p.Name == "Token").FromPipeline);
        Assert.DoesNotContain(cmdlet.Parameters, p => p.Name.Contains("Secret", StringComparison.Ordinal) && p.Name != "SecretName");
    }

    [Fact]
    public void No_parameter_takes_a_secret_as_plain_text()
    {
        var plainSecret = new Regex("(Secret|Password|ApiKey|Token)$");
        Assert.All(Cmdlets.SelectMany(c => c.Parameters), p => Assert.True(!plainSecret.IsMatch(p.Name) || p.Name == "Token", $"-{p.Name} looks like a plain-text secret"));
    }

    private static IEnumerable<string> DocumentedParameters(CmdletInfo cmdlet) =>
        cmdlet.ParameterNames.Concat(cmdlet.SupportsShouldProcess ? ["WhatIf", "Confirm"] : []).Order();

    [Fact]
    public void Every_cmdlet_and_parameter_has_markdown_help()
    {
        foreach (var cmdlet in Cmdlets)
        {
            var path = Repository.File("docs", "cmdlets", cmdlet.Name + ".md");
            Assert.True(File.Exists(path), $"{path} is missing");
            var markdown = File.ReadAllText(path);
            var documented = Regex.Matches(markdown, @"^### -(\w+)\s*\n(.+)$", RegexOptions.Multiline).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
            Assert.Equal(DocumentedParameters(cmdlet), documented.Keys.Order());
            Assert.All(documented, entry => Assert.False(entry.Value.StartsWith("```", StringComparison.Ordinal), $"{cmdlet.Name} -{entry.Key} has no description"));
            Assert.Matches(@"## SYNOPSIS\n\w", markdown);
            Assert.Matches(@"## DESCRIPTION\n\w", markdown);
            Assert.Contains("### Example 1", markdown);
        }
    }

    [Fact]
    public void The_shipped_MAML_help_covers_every_cmdlet_and_parameter()
    {
        XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        XNamespace maml = "http://schemas.microsoft.com/maml/2004/10";
        var help = XDocument.Load(Repository.File("module", "en-US", "TokenAuth.PowerShell.dll-Help.xml"));
        var commands = help.Root!.Elements(command + "command").ToDictionary(c => c.Element(command + "details")!.Element(command + "name")!.Value);

        Assert.Equal(Cmdlets.Select(c => c.Name).Order(), commands.Keys.Order());
        foreach (var cmdlet in Cmdlets)
        {
            var parameters = commands[cmdlet.Name].Element(command + "parameters")!.Elements(command + "parameter").ToList();
            Assert.Equal(DocumentedParameters(cmdlet), parameters.Select(p => p.Element(maml + "name")!.Value).Order());
            Assert.All(parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Element(maml + "description")?.Value)));
            Assert.NotEmpty(commands[cmdlet.Name].Element(command + "examples")!.Elements());
        }
    }

    [Fact]
    public void Every_output_type_of_the_module_has_a_format_view()
    {
        var format = XDocument.Load(Repository.File("module", "TokenAuth.format.ps1xml"));
        var viewed = format.Descendants("TypeName").Select(t => t.Value).ToHashSet();
        var ours = Cmdlets.SelectMany(c => c.OutputTypes).Where(t => t.StartsWith("TokenAuth.", StringComparison.Ordinal)).Distinct().ToList();

        Assert.NotEmpty(ours);
        Assert.All(ours, type => Assert.Contains(type, viewed));
        Assert.DoesNotContain("<PropertyName>Token</PropertyName>", File.ReadAllText(Repository.File("module", "TokenAuth.format.ps1xml")));
    }
}
