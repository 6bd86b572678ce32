using System.Diagnostics;
using System.Xml.Linq;
using Xunit;
using Xunit.Sdk;

namespace TokenAuth.Module.Tests;

/// <summary>
/// A theory that runs once per PowerShell found (see <see cref="PowerShellHost"/>), and is reported as skipped, with
/// the reason, where none is.
/// </summary>
public sealed class PesterTheoryAttribute : TheoryAttribute
{
    public PesterTheoryAttribute()
    {
        Skip = PowerShellHost.WhyNone;
    }
}

/// <summary>
/// The PowerShells the Pester suite runs on: those named in TOKENAUTH_PWSH (executables separated by the path
/// separator, or "dotnet pwsh" for the pinned .NET tool; CI names that and the bundled 7.4 LTS), else the pwsh on
/// PATH, else the .NET tool pinned in .config/dotnet-tools.json. Each must carry Pester 5 and SecretManagement.
/// An entry may end in "|Tag,Tag": that PowerShell runs only the tests with those tags (CI's second 7.6 runs only
/// what the other cannot: the lint check, and the many-process test that needs a pwsh of its own).
/// </summary>
public static class PowerShellHost
{
    private const string ListVariable = "TOKENAUTH_PWSH";

    /// <summary>PowerShell as the .NET local tool of .config/dotnet-tools.json (after dotnet tool restore).</summary>
    private const string LocalTool = "dotnet pwsh";

    private static readonly (IReadOnlyList<(string Executable, string Version)> Found, string? WhyNone) Probed = Probe();

    /// <summary>Null when the Pester suite can run here; otherwise why not.</summary>
    public static string? WhyNone => Probed.WhyNone;

    /// <summary>Theory rows: the executable and its version, so that every result names the PowerShell it ran on.</summary>
    public static IEnumerable<object[]> Installs =>
        Probed.Found.Count == 0 ? [["none", "none"]] : Probed.Found.Select(found => new object[] { found.Version, found.Executable });

    /// <summary>An entry of TOKENAUTH_PWSH: the executable, and the tags it runs alone (none: every test).</summary>
    public static (string Executable, string[] Tags) Entry(string entry)
    {
        var bar = entry.IndexOf('|');
        return bar < 0 ? (entry, []) : (entry[..bar].Trim(), entry[(bar + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    public static (int ExitCode, string Output) Run(string powerShell, TimeSpan timeout, params string[] arguments)
    {
        powerShell = Entry(powerShell).Executable;
        var (executable, leading) = powerShell == LocalTool ? ("dotnet", new[] { "pwsh" }) : (powerShell, Array.Empty<string>());
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repository.Root };
        // PowerShell reports its start-up to Microsoft unless told not to: tests send nothing but to loopback, and every
        // pwsh the suite starts inherits this.
        start.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        foreach (var argument in leading.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{powerShell} did not finish within {timeout}.\n{output.Result}{errors.Result}");
        }

        return (process.ExitCode, output.Result + errors.Result);
    }

    private static (IReadOnlyList<(string, string)>, string?) Probe()
    {
        var listed = Environment.GetEnvironmentVariable(ListVariable);
        var executables = string.IsNullOrWhiteSpace(listed)
            ? FindOnPath()
            : listed.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (executables.Length == 0 && File.Exists(Path.Combine(Repository.Root, ".config", "dotnet-tools.json")))
        {
            executables = [LocalTool];
        }

        if (executables.Length == 0)
        {
            return ([], "pwsh is not installed on this machine, so the Pester suite (tests/pester) cannot run here.");
        }

        var found = new List<(string, string)>();
        foreach (var executable in executables)
        {
            var (exitCode, output) = Run(executable, TimeSpan.FromMinutes(1), "-NoProfile", "-NonInteractive", "-Command",
                "if (-not (Get-Module -ListAvailable Pester | Where-Object Version -ge '5.0.0')) { 'Pester 5 is not installed'; exit 3 }; "
                + "if (-not (Get-Module -ListAvailable Microsoft.PowerShell.SecretManagement)) { 'Microsoft.PowerShell.SecretManagement is not installed'; exit 3 }; "
                + "$PSVersionTable.PSVersion.ToString()");
            if (exitCode != 0 && string.IsNullOrWhiteSpace(listed))
            {
                return ([], executables[0] == LocalTool
                    ? $"{output.Trim()} (no pwsh on PATH, and the pinned one: run dotnet tool restore, then dotnet pwsh ./build.ps1 Test to install what is missing)."
                    : $"{output.Trim()} (pwsh is installed; run ./build.ps1 Test to install what is missing).");
            }

            // A PowerShell named in TOKENAUTH_PWSH but unusable is a failure of its run, not a skip.
            found.Add((executable, exitCode == 0 ? output.Trim() : $"unusable: {output.Trim()}"));
        }

        return (found, null);
    }

    private static string[] FindOnPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(folder => new[] { Path.Combine(folder, "pwsh"), Path.Combine(folder, "pwsh.exe") })
            .Where(File.Exists)
            .Take(1)
            .ToArray();
}

/// <summary>What a Pester run's NUnit XML says: counts and the failed tests with their messages.</summary>
public sealed record PesterResult(int Total, int Failed, int Skipped, IReadOnlyList<string> Failures)
{
    public int Passed => Total - Failed - Skipped;

    public static PesterResult Read(string xmlPath)
    {
        var root = XDocument.Load(xmlPath).Root!;
        int Count(string attribute) => int.Parse(root.Attribute(attribute)?.Value ?? "0", System.Globalization.CultureInfo.InvariantCulture);

        // A failed BeforeAll or a file that does not parse fails its suite; its tests may then not be counted at all.
        var failures = root.Descendants("test-case").Where(test => (string?)test.Attribute("result") == "Failure")
            .Select(test => $"{test.Attribute("name")?.Value}: {test.Element("failure")?.Element("message")?.Value.Trim()}")
            .Concat(root.Descendants("test-suite")
                .Where(suite => (string?)suite.Attribute("result") == "Failure" && !suite.Descendants("test-case").Any(test => (string?)test.Attribute("result") == "Failure"))
                .Select(suite => $"{suite.Attribute("name")?.Value}: {suite.Element("failure")?.Element("message")?.Value.Trim() ?? "the block failed"}"))
            .ToList();
        // "not-run" counts the tests a tag filter left out (run by another PowerShell): they are not in "total".
        return new PesterResult(Count("total"), Math.Max(Count("failures") + Count("errors"), failures.Count), Count("skipped") + Count("ignored"), failures);
    }

    /// <summary>Throws, naming every failed test and the PowerShell it ran on, unless the run passed.</summary>
    public void AssertPassed(string powerShell, string output)
    {
        if (Failed > 0 || Total == 0)
        {
            throw new XunitException(
                $"The Pester suite failed on {powerShell}: {Passed} passed, {Failed} failed, {Skipped} skipped of {Total}.\n"
                + string.Join("\n", Failures.Select(failure => $"  [{powerShell}] {failure}"))
                + "\n\nPester's output:\n" + output);
        }
    }
}

public sealed class PesterSuiteTests
{
    private static readonly string Runner = Repository.File("tests", "pester", "Invoke-PesterSuite.ps1");

    /// <summary>Results land in out/pester-results, where .ci/run adds their counts to its closing line.</summary>
    [PesterTheory]
    [MemberData(nameof(PowerShellHost.Installs), MemberType = typeof(PowerShellHost))]
    public void The_Pester_suite_passes_against_the_built_module(string version, string executable)
    {
        Assert.False(version.StartsWith("unusable", StringComparison.Ordinal), $"{executable}: {version}");
        // A tag-filtered run names its tags too: the same version may run twice (the machine's pwsh and a bundled one).
        var tags = PowerShellHost.Entry(executable).Tags;
        var resultPath = Repository.File("out", "pester-results", $"pwsh-{version}{(tags.Length > 0 ? "-" + string.Join("-", tags) : "")}.xml");
        Directory.CreateDirectory(Path.GetDirectoryName(resultPath)!);
        File.Delete(resultPath);

        var arguments = new List<string> { "-NoProfile", "-NonInteractive", "-File", Runner, "-ResultPath", resultPath };
        if (tags.Length > 0)
        {
            arguments.AddRange(["-Tag", string.Join(",", tags)]);
        }

        var (_, output) = PowerShellHost.Run(executable, TimeSpan.FromMinutes(8), [.. arguments]);

        Assert.True(File.Exists(resultPath), $"PowerShell {version} ({executable}) wrote no Pester result:\n{output}");
        PesterResult.Read(resultPath).AssertPassed($"PowerShell {version}", output);
    }

    /// <summary>The runner's verdict comes from the result, so a failing test fails it even where the exit code lies.</summary>
    [PesterTheory]
    [MemberData(nameof(PowerShellHost.Installs), MemberType = typeof(PowerShellHost))]
    public void A_failing_Pester_test_fails_the_runner_and_is_named(string version, string executable)
    {
        var folder = Directory.CreateTempSubdirectory("tokenauth-pester-");
        try
        {
            File.Copy(Runner, Path.Combine(folder.FullName, "Invoke-PesterSuite.ps1"));
            File.WriteAllText(Path.Combine(folder.FullName, "Deliberate.Tests.ps1"), """
                #Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
                Describe 'A deliberate failure' {
                    It 'passes' { 1 | Should -Be 1 }
                    It 'fails on purpose' { 1 | Should -Be 2 }
                }
                """);
            var resultPath = Path.Combine(folder.FullName, "result.xml");

            var (_, output) = PowerShellHost.Run(executable, TimeSpan.FromMinutes(2), "-NoProfile", "-NonInteractive", "-File",
                Path.Combine(folder.FullName, "Invoke-PesterSuite.ps1"), "-ResultPath", resultPath);
            var result = PesterResult.Read(resultPath);

            Assert.Equal((2, 1, 1), (result.Total, result.Passed, result.Failed));
            var failure = Assert.Throws<XunitException>(() => result.AssertPassed($"PowerShell {version}", output));
            Assert.Contains($"[PowerShell {version}] A deliberate failure.fails on purpose", failure.Message);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
