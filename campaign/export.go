package campaign

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"cityvitals/model"
)

// A report is exported the way a district office sends figures up: a
// title row naming the campaign, a row with the period and the instant
// the figures stand at, a header row, one row per district or
// department numbered 序号, the 合计 row, and notes giving the formulas
// and the lines the sender fills in by hand. CSV and XLSX carry the same
// cells.

// cellKind says how a cell is written.
type cellKind int

const (
	textCell cellKind = iota
	countCell
	rateCell
)

type cell struct {
	kind cellKind
	text string
	n    int64
	rate *float64
}

func text(s string) cell   { return cell{kind: textCell, text: s} }
func count(n int64) cell   { return cell{kind: countCell, n: n} }
func rate(v *float64) cell { return cell{kind: rateCell, rate: v} }

// format renders the cell as text: counts as integers, rates as
// percentages with one decimal, a rate over nothing as "—".
func (c cell) format() string {
	switch c.kind {
	case countCell:
		return strconv.FormatInt(c.n, 10)
	case rateCell:
		if c.rate == nil {
			return "—"
		}
		return strconv.FormatFloat(*c.rate*100, 'f', 1, 64) + "%"
	}
	return c.text
}

// table is a report laid out for export.
type table struct {
	title, subtitle string
	header          []string
	rows            [][]cell // the data rows, then the total
	notes           []string
}

// layout lays a report out as a district office sends it up.
func (s *Service) layout(r model.CampaignReport) table {
	by, what := "区", "按区"
	if r.By == ByDept {
		by, what = "责任部门", "按责任部门"
	}
	long := fmt.Sprintf("重大隐患超%d天未销项数", r.MajorOpenDays)
	t := table{
		title:    fmt.Sprintf("%s隐患排查整治情况统计表（%s）", r.Name, what),
		subtitle: fmt.Sprintf("统计周期：%s至%s　　数据截至：%s", s.date(r.From), s.date(r.To-1), s.minute(r.AsOf)),
		header: []string{"序号", by, "应排查数", "已排查数", "排查率", "发现隐患数", "其中重大隐患", "其中立查立改",
			"已整改销项数", "整改率", "待验收数", "超期未整改数", long},
		notes: []string{
			"注：1. 排查率＝已排查数÷应排查数；整改率＝已整改销项数÷发现隐患数（统计周期内发现的隐患）。",
			fmt.Sprintf("2. 超期未整改数：截至数据时点已过整改期限仍未整改到位的隐患；%s：发现满%d天仍未销项的重大隐患。", long, r.MajorOpenDays),
			"填报单位（盖章）：　　　　　　填报人：　　　　　　审核人：　　　　　　联系电话：",
		},
	}
	for i, row := range r.Rows {
		t.rows = append(t.rows, reportCells(text(strconv.Itoa(i+1)), row))
	}
	t.rows = append(t.rows, reportCells(text(""), r.Total))
	return t
}

func reportCells(seq cell, r model.CampaignReportRow) []cell {
	return []cell{seq, text(r.Name), count(r.Tasks), count(r.Inspected), rate(r.InspectionRate),
		count(r.Found), count(r.Major), count(r.OnSite), count(r.Rectified), rate(r.RectificationRate),
		count(r.AwaitingVerify), count(r.Overdue), count(r.MajorOpenLong)}
}

func (s *Service) date(ms int64) string {
	return time.UnixMilli(ms).In(s.loc).Format("2006年1月2日")
}

func (s *Service) minute(ms int64) string {
	return time.UnixMilli(ms).In(s.loc).Format("2006年1月2日15时04分")
}

// WriteReportCSV writes the report as CSV: UTF-8 with a byte-order mark
// (so that spreadsheet programs read the Chinese right), every line as
// wide as the header. Text that a spreadsheet would run as a formula is
// quoted with a leading apostrophe.
func (s *Service) WriteReportCSV(w io.Writer, r model.CampaignReport) error {
	t := s.layout(r)
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write report csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // what spreadsheet programs on the desks that receive it write
	width := len(t.header)
	line := func(first string) []string {
		out := make([]string, width)
		out[0] = defuse(first)
		return out
	}
	records := [][]string{line(t.title), line(t.subtitle), t.header}
	for _, row := range t.rows {
		rec := make([]string, width)
		for i, c := range row {
			rec[i] = defuse(c.format())
		}
		records = append(records, rec)
	}
	for _, n := range t.notes {
		records = append(records, line(n))
	}
	if err := cw.WriteAll(records); err != nil {
		return fmt.Errorf("write report csv: %w", err)
	}
	return nil
}

// defuse keeps a spreadsheet from running text as a formula (CSV
// injection): names come from users.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// xlsxSheet is the one sheet of an XLSX export.
const xlsxSheet = "统计表"

// WriteReportXLSX writes the report as an XLSX workbook with one sheet:
// merged title and period rows, a bordered table with counts as numbers
// and rates as percentages, the header frozen, notes below.
func (s *Service) WriteReportXLSX(w io.Writer, r model.CampaignReport) error {
	t := s.layout(r)
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", xlsxSheet); err != nil {
		return fmt.Errorf("write report xlsx: %w", err)
	}
	x := &xlsxWriter{f: f, width: len(t.header)}
	x.styles()
	x.banner(1, t.title, x.titleStyle, 32)
	x.banner(2, t.subtitle, x.subtitleStyle, 20)
	x.row(3, stringsToCells(t.header), x.headerStyle, x.headerStyle)
	for i, row := range t.rows {
		body, rates := x.bodyStyle, x.rateStyle
		if i == len(t.rows)-1 {
			body, rates = x.totalStyle, x.totalRateStyle
		}
		x.row(4+i, row, body, rates)
	}
	for i, n := range t.notes {
		x.banner(4+len(t.rows)+i, n, x.noteStyle, 30)
	}
	x.layout()
	if x.err != nil {
		return fmt.Errorf("write report xlsx: %w", x.err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write report xlsx: %w", err)
	}
	return nil
}

func stringsToCells(ss []string) []cell {
	out := make([]cell, len(ss))
	for i, s := range ss {
		out[i] = text(s)
	}
	return out
}

// xlsxWriter keeps the first error so the layout reads top to bottom.
type xlsxWriter struct {
	f     *excelize.File
	width int
	err   error

	titleStyle, subtitleStyle, headerStyle, bodyStyle, rateStyle int
	totalStyle, totalRateStyle, noteStyle                        int
}

func (x *xlsxWriter) keep(err error) {
	if x.err == nil {
		x.err = err
	}
}

func (x *xlsxWriter) style(st *excelize.Style) int {
	id, err := x.f.NewStyle(st)
	x.keep(err)
	return id
}

func (x *xlsxWriter) styles() {
	border := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1},
	}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	percent := "0.0%"
	x.titleStyle = x.style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16, Family: "SimSun"}, Alignment: center})
	x.subtitleStyle = x.style(&excelize.Style{Font: &excelize.Font{Size: 11, Family: "SimSun"},
		Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}})
	x.headerStyle = x.style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 11, Family: "SimHei"}, Alignment: center,
		Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9D9D9"}}})
	x.bodyStyle = x.style(&excelize.Style{Font: &excelize.Font{Size: 11, Family: "SimSun"}, Alignment: center, Border: border})
	x.rateStyle = x.style(&excelize.Style{Font: &excelize.Font{Size: 11, Family: "SimSun"}, Alignment: center, Border: border, CustomNumFmt: &percent})
	x.totalStyle = x.style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 11, Family: "SimSun"}, Alignment: center, Border: border})
	x.totalRateStyle = x.style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 11, Family: "SimSun"}, Alignment: center, Border: border, CustomNumFmt: &percent})
	x.noteStyle = x.style(&excelize.Style{Font: &excelize.Font{Size: 10, Family: "SimSun"},
		Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center", WrapText: true}})
}

func (x *xlsxWriter) cellName(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col, row)
	x.keep(err)
	return name
}

// banner writes text across the whole width of the table.
func (x *xlsxWriter) banner(row int, s string, style int, height float64) {
	first, last := x.cellName(1, row), x.cellName(x.width, row)
	x.keep(x.f.SetCellStr(xlsxSheet, first, s))
	x.keep(x.f.MergeCell(xlsxSheet, first, last))
	x.keep(x.f.SetCellStyle(xlsxSheet, first, last, style))
	x.keep(x.f.SetRowHeight(xlsxSheet, row, height))
}

func (x *xlsxWriter) row(row int, cells []cell, style, rateStyle int) {
	for i, c := range cells {
		name := x.cellName(i+1, row)
		switch {
		case c.kind == countCell:
			x.keep(x.f.SetCellInt(xlsxSheet, name, c.n))
		case c.kind == rateCell && c.rate != nil:
			x.keep(x.f.SetCellFloat(xlsxSheet, name, *c.rate, -1, 64))
		default:
			x.keep(x.f.SetCellStr(xlsxSheet, name, c.format()))
		}
		st := style
		if c.kind == rateCell {
			st = rateStyle
		}
		x.keep(x.f.SetCellStyle(xlsxSheet, name, name, st))
	}
}

// layout sets column widths and freezes the rows above the data.
func (x *xlsxWriter) layout() {
	last, err := excelize.ColumnNumberToName(x.width)
	x.keep(err)
	x.keep(x.f.SetColWidth(xlsxSheet, "A", "A", 6))
	x.keep(x.f.SetColWidth(xlsxSheet, "B", "B", 18))
	x.keep(x.f.SetColWidth(xlsxSheet, "C", last, 11))
	x.keep(x.f.SetRowHeight(xlsxSheet, 3, 36))
	x.keep(x.f.SetPanes(xlsxSheet, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"}))
}
