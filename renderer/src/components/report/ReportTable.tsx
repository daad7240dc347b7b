import type { Table } from '../../../../native/contract';

/** One of the report's tables, from the same cells as table1.md and report.html. */
export function ReportTable({ table, testId }: { table: Table; testId: string }) {
  return (
    <div className="card table-card report-table">
      <table className="data-table" data-testid={testId}>
        <caption>{table.caption}</caption>
        <thead>
          <tr>
            {table.header.map((cell) => (
              <th key={cell} scope="col">
                {cell}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row) => (
            <tr key={row[0]}>
              <th scope="row">{row[0]}</th>
              {row.slice(1).map((cell, index) => (
                <td key={index}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
