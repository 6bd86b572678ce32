#if NETSTANDARD2_0
// Lets the netstandard2.0 build use init-only setters; the type ships with the runtime on net8.0.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit { }
}
#endif
