using System.Diagnostics;
using TokenAuth.Emulator;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// The module's netstandard2.0 folder (out/TokenAuth/bin/netstandard2.0), loaded by a .NET Framework program that
/// references nothing of TokenAuth, resolves every dependency from itself through the module's resolver.
/// </summary>
public sealed class ModuleFolderTests
{
    private static readonly string Root = RepositoryRoot();

    [Fact]
    public async Task The_netstandard_module_folder_loads_and_calls_a_provider_through_its_own_resolver()
    {
        var folder = Path.Combine(Root, "out", "TokenAuth", "bin", "netstandard2.0");
        Assert.True(File.Exists(Path.Combine(folder, "TokenAuth.PowerShell.dll")), $"{folder} holds no built module: build the solution first.");
        var configuration = AppDomain.CurrentDomain.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var probe = Path.Combine(Root, "tests", "TokenAuth.ModuleFolderProbe", "bin", configuration, "net472", "TokenAuth.ModuleFolderProbe.exe");
        await using var emulator = await ProviderEmulator.StartAsync();
        var akiba = DemoCredentials.All["akiba"];

        var arguments = $"\"{folder}\" {emulator.BaseUriOf("akiba")} {akiba.ClientId} {akiba.ClientSecret} {akiba.ClientCredential}";

        var (exitCode, output) = await RunAsync(probe, arguments);
        var (withoutResolverExitCode, withoutResolver) = await RunAsync(probe, arguments + " --without-resolver");

        Assert.True(exitCode == 0, output);
        Assert.Contains("status 200", output);
        foreach (var dependency in new[] { "TokenAuth.Engine", "System.Text.Json", "Microsoft.Bcl.TimeProvider", "Microsoft.Bcl.AsyncInterfaces" })
        {
            Assert.Contains($"loaded {dependency} from {Path.Combine(folder, dependency)}.dll", output);
        }

        Assert.NotEqual(0, withoutResolverExitCode);
        Assert.Contains("TokenAuth.Engine", withoutResolver);
    }

    /// <summary>Runs the program on .NET Framework itself on Windows, elsewhere on Mono.</summary>
    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string arguments)
    {
        var start = Runtime.IsMono ? new ProcessStartInfo("mono", $"\"{program}\" {arguments}") : new ProcessStartInfo(program, arguments);
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, await output + errors);
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppDomain.CurrentDomain.BaseDirectory);
        while (folder != null && !File.Exists(Path.Combine(folder.FullName, "TokenAuth.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("The tests run outside the repository.");
    }
}
