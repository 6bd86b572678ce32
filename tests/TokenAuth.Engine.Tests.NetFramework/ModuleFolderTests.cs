using System.Diagnostics;
using TokenAuth.Emulator;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// The module's netstandard2.0 folder (out/TokenAuth/bin/netstandard2.0), loaded by a .NET Framework program that
/// references nothing of TokenAuth, resolves every dependency from itself through the module's resolver, which
/// answers TokenAuth's requests and leaves another assembly's alone.
/// </summary>
public sealed class ModuleFolderTests
{
    private static readonly string Root = RepositoryRoot();

    [Fact]
    public async Task The_netstandard_module_folder_loads_and_calls_a_provider_through_its_own_resolver()
    {
        var (folder, probe) = Paths();
        await using var emulator = await ProviderEmulator.StartAsync();
        var arguments = Arguments(folder, emulator.BaseUriOf("akiba"));

        var (exitCode, output) = await RunAsync(probe, arguments);
        var reached = new List<(int, string)> { (exitCode, output) };
        foreach (var mode in new[] { "--by-name", "--by-name-in-lower-case", "--by-type-name" })
        {
            var (code, text) = await RunAsync(probe, arguments + " " + mode);
            reached.Add((code, mode + "\n" + text));
        }

        var (withoutResolverExitCode, withoutResolver) = await RunAsync(probe, arguments + " --without-resolver");

        foreach (var (code, text) in reached)
        {
            Assert.True(code == 0, text);
            Assert.Contains("status 200", text);
            foreach (var dependency in new[] { "TokenAuth.Engine", "System.Text.Json", "Microsoft.Bcl.TimeProvider", "Microsoft.Bcl.AsyncInterfaces" })
            {
                Assert.Contains($"loaded {dependency} from {Path.Combine(folder, dependency)}.dll", text);
            }

            Assert.DoesNotContain("unanswered TokenAuth.", text);
        }

        Assert.NotEqual(0, withoutResolverExitCode);
        Assert.Contains("unanswered TokenAuth.Engine for TokenAuth.PowerShell", withoutResolver);
    }

    [Fact]
    public async Task The_module_resolver_leaves_another_assemblys_request_for_a_library_in_its_folder_alone()
    {
        var (folder, probe) = Paths();
        await using var emulator = await ProviderEmulator.StartAsync();

        var (exitCode, output) = await RunAsync(probe, Arguments(folder, emulator.BaseUriOf("akiba")));

        Assert.True(exitCode == 0, output);
        // The program's own reference to System.Text.Json, and a request for it by name that names no requester.
        Assert.Contains("unanswered System.Text.Json for TokenAuth.ModuleFolderProbe", output);
        Assert.Contains("this program's System.Text.Json: not found", output);
        Assert.Contains("unanswered System.Text.Json for no requesting assembly", output);
        Assert.Contains("System.Text.Json by name: not found", output);
        // ...while TokenAuth's own request for the same library, made later, is answered from the folder.
        Assert.Contains("status 200", output);
    }

    private static (string Folder, string Probe) Paths()
    {
        var folder = Path.Combine(Root, "out", "TokenAuth", "bin", "netstandard2.0");
        Assert.True(File.Exists(Path.Combine(folder, "TokenAuth.PowerShell.dll")), $"{folder} holds no built module: build the solution first.");
        var configuration = AppDomain.CurrentDomain.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        return (folder, Path.Combine(Root, "tests", "TokenAuth.ModuleFolderProbe", "bin", configuration, "net472", "TokenAuth.ModuleFolderProbe.exe"));
    }

    private static string Arguments(string folder, object akibaBase)
    {
        var akiba = DemoCredentials.All["akiba"];
        return $"\"{folder}\" {akibaBase} {akiba.ClientId} {akiba.ClientSecret} {akiba.ClientCredential}";
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
