# Invoke-ScriptAnalyzer -Path <file> -Settings ./PSScriptAnalyzerSettings.psd1 (tests/pester/Shipping.Tests.ps1 runs it on
# every script in the repository). All default rules apply; a finding is suppressed only in the script it concerns,
# with [Diagnostics.CodeAnalysis.SuppressMessageAttribute(rule, target, Justification = why)].
@{
    Severity     = @('Error', 'Warning', 'Information')
    IncludeDefaultRules = $true
    Rules        = @{
        PSUseCompatibleSyntax = @{ Enable = $true; TargetVersions = @('5.1', '7.4') }
    }
}
