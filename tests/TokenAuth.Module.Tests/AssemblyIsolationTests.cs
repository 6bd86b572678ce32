using Xunit;

namespace TokenAuth.Module.Tests;

/// <summary>
/// What the module ships must load next to other modules: on PowerShell 7.4+ (net8.0) nothing the runtime already
/// carries, and no reference newer than .NET 8 has; on Windows PowerShell 5.1 every dependency in its own folder.
/// </summary>
public sealed class AssemblyIsolationTests
{
    private static readonly string RuntimeFolder = Path.GetDirectoryName(typeof(object).Assembly.Location)!;

    private static bool IsRuntimeAssembly(string name) =>
        File.Exists(Path.Combine(RuntimeFolder, name + ".dll")) || name is "netstandard" or "mscorlib" or "System.Management.Automation";

    [Fact]
    public void The_net8_module_folder_ships_only_TokenAuth_assemblies()
    {
        var shipped = Directory.GetFiles(Repository.Bin("net8.0"), "*.dll").Select(Path.GetFileName).Order();

        Assert.Equal(["TokenAuth.Engine.dll", "TokenAuth.PowerShell.dll"], shipped);
    }

    [Theory]
    [InlineData("net8.0")]
    [InlineData("netstandard2.0")]
    public void System_Management_Automation_is_compiled_against_never_shipped(string framework)
    {
        Assert.False(File.Exists(Path.Combine(Repository.Bin(framework), "System.Management.Automation.dll")));
    }

    [Fact]
    public void Net8_references_need_nothing_newer_than_what_PowerShell_74_runs_on()
    {
        foreach (var assembly in Directory.GetFiles(Repository.Bin("net8.0"), "*.dll"))
        {
            foreach (var (name, version) in CmdletMetadata.References(assembly).Where(r => !r.Name.StartsWith("TokenAuth.", StringComparison.Ordinal)))
            {
                Assert.True(IsRuntimeAssembly(name), $"{Path.GetFileName(assembly)} references {name}, which PowerShell 7 does not carry and the module does not ship");
                Assert.True(name == "System.Management.Automation" || version.Major <= 8, $"{Path.GetFileName(assembly)} references {name} {version}, newer than .NET 8");
            }
        }
    }

    [Fact]
    public void Every_netstandard_dependency_is_in_the_module_folder()
    {
        var folder = Repository.Bin("netstandard2.0");
        var shipped = Directory.GetFiles(folder, "*.dll").Select(Path.GetFileNameWithoutExtension).ToHashSet();
        foreach (var assembly in Directory.GetFiles(folder, "*.dll"))
        {
            foreach (var (name, _) in CmdletMetadata.References(assembly))
            {
                // .NET Framework 4.7.2 provides netstandard 2.0's own facades; everything else must travel with us.
                var providedByFramework = name is "netstandard" or "mscorlib" or "System.Management.Automation" || (IsRuntimeAssembly(name) && !PackageAssemblies.Contains(name));
                Assert.True(shipped.Contains(name) || providedByFramework, $"{Path.GetFileName(assembly)} needs {name}, which is not in bin/netstandard2.0");
            }
        }
    }

    /// <summary>Assemblies that are in the .NET runtime but come from NuGet packages on .NET Framework.</summary>
    private static readonly HashSet<string> PackageAssemblies =
    [
        "System.Text.Json", "System.Text.Encodings.Web", "System.Memory", "System.Buffers", "System.Runtime.CompilerServices.Unsafe",
        "System.Threading.Tasks.Extensions", "System.Numerics.Vectors", "Microsoft.Bcl.AsyncInterfaces", "Microsoft.Bcl.TimeProvider",
    ];

    [Theory]
    [InlineData("net8.0")]
    [InlineData("netstandard2.0")]
    public void The_engine_knows_nothing_of_PowerShell_and_the_cmdlets_nothing_of_wire_formats(string framework)
    {
        var engine = CmdletMetadata.References(Path.Combine(Repository.Bin(framework), "TokenAuth.Engine.dll")).Select(r => r.Name);
        var cmdlets = CmdletMetadata.References(Path.Combine(Repository.Bin(framework), "TokenAuth.PowerShell.dll")).Select(r => r.Name);

        Assert.DoesNotContain("System.Management.Automation", engine);
        Assert.DoesNotContain("System.Text.Json", cmdlets);
        Assert.DoesNotContain("System.Net.Http", cmdlets);
    }
}
