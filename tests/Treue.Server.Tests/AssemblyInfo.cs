using Treue.Server.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(PostgresCluster))]
