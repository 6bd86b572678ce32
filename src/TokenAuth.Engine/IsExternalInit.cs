#if !NET5_0_OR_GREATER
namespace System.Runtime.CompilerServices
{
    /// <summary>Lets the netstandard2.0 build use init-only setters and records, which .NET 5 and later declare themselves.</summary>
    internal static class IsExternalInit
    {
    }
}
#endif
